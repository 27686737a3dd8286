"""juesuan (决算): build, fill and check the 部门决算公开 workbook (公开01表–公开09表)."""

__version__ = "0.1.0"

__all__ = ["__version__", "build_template", "fill_workbook", "load_profile"]


def __getattr__(name):  # lazy: keep `juesuan --help` fast
    if name in ("build_template", "fill_workbook"):
        from . import api
        return getattr(api, name)
    if name == "load_profile":
        from juesuan.model.profile import load_profile
        return load_profile
    raise AttributeError(name)
