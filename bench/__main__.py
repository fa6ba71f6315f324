"""Run every benchmark module in bench/ (or those named on the command line)."""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys

import django


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DJANGO_DEBUG", "1")
    django.setup()
    wanted = set(sys.argv[1:])
    import bench
    from bench._db import bench_database

    # Modules that need data of their own make a second scratch database inside this one.
    with bench_database("dingdian_bench_main"):
        for module in pkgutil.iter_modules(bench.__path__):
            if module.name.startswith("_") or (wanted and module.name not in wanted):
                continue
            print(f"== {module.name}", flush=True)
            importlib.import_module(f"bench.{module.name}").run()


if __name__ == "__main__":
    main()
