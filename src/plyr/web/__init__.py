"""The web app: server-rendered pages (Jinja2) on the API's origin, made interactive with
htmx and a few ES modules (`static/js`). Only `<main>` is swapped on navigation, so the
player in the shell keeps playing."""
