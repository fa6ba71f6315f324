"""The portal's own locale formats (settings.FORMAT_MODULE_PATH): only what differs from
Django's. Django looks a format up here first and falls back to its own locale for the rest."""
