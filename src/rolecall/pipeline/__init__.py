"""Applications (one candidate applying to one job) and their way through the job's stages."""
