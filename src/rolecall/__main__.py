from rolecall.cli import app

app()
