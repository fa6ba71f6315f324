"""zh-hans: ISO dates first. Django renders a form's date with the language's first input
format, and zh-hans's is ``2026/12/04``, which ``<input type="date">`` drops (the expert's
start date posted back empty: 须填写待遇开始日期). With ISO first, every date a form renders is
``2026-12-04`` whatever its widget; ``2026/12/04`` and ``2026年12月4日`` are still accepted."""

DATE_INPUT_FORMATS = [
    "%Y-%m-%d",  # '2026-12-04'
    "%Y/%m/%d",  # '2026/12/04'
    "%Y年%m月%d日",  # '2026年12月04日' (and '2026年12月4日')
]

DATETIME_INPUT_FORMATS = [
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日 %H:%M:%S",
]
