"""The shared layer of Rolecall's web pages: layouts, assets, page sign-in checks, CSRF, page errors.

Pages are another adapter over the contexts' service functions, exactly like ``endpoints.py``: each
context keeps its pages in ``pages.py`` (and its templates in ``templates/<context>/``) and calls its
own services. This package, like ``rolecall.platform``, imports no context.
"""
