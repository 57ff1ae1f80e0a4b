"""The briefing as a printable PDF (A4), rendered by fpdf2.

Vietnamese needs a Unicode TrueType font embedded in the file: DejaVu Sans, as shipped in
matplotlib's wheel (a pinned runtime dependency for this; nothing is looked up on the system or
downloaded). The lighter font packages on PyPI either lack the Vietnamese letters (font-lato: no ư,
đ, ợ …) or are unmaintained one-off uploads (font-roboto 0.0.1, 2019). Each KPI has its trend drawn
as a small line (a sparkline), the dashboard's picture.
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path
from typing import Any

from fpdf import FPDF

FAMILY = "DejaVu"
ROW_H = 6.0


@cache
def font_dir() -> Path:
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("matplotlib (the briefing PDF's font) is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "mpl-data" / "fonts" / "ttf"


def _number(value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}".replace(",", " ")
    return f"{int(value):,}".replace(",", " ") if isinstance(value, int | float) else str(value)


class Briefing(FPDF):
    def __init__(self) -> None:
        super().__init__(format="A4")
        self.add_font(FAMILY, "", font_dir() / "DejaVuSans.ttf")
        self.add_font(FAMILY, "B", font_dir() / "DejaVuSans-Bold.ttf")
        self.set_auto_page_break(auto=True, margin=15)
        self.add_page()

    def heading(self, text: str) -> None:
        self.ln(3)
        self.set_font(FAMILY, "B", 12)
        self.cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")
        self.set_font(FAMILY, "", 9)

    def line_text(self, text: str) -> None:
        self.multi_cell(0, 5, text, new_x="LMARGIN", new_y="NEXT")

    def grid(self, header: list[str], rows: list[list[object]], widths: list[float]) -> None:
        self.set_font(FAMILY, "B", 8)
        for text, w in zip(header, widths, strict=True):
            self.cell(w, ROW_H, text, border=1)
        self.ln(ROW_H)
        self.set_font(FAMILY, "", 8)
        for row in rows:
            for value, w in zip(row, widths, strict=True):
                number = isinstance(value, int | float) or value is None
                self.cell(w, ROW_H, _number(value), border=1, align="R" if number else "L")
            self.ln(ROW_H)

    def sparkline(self, values: list[float | None], x: float, y: float, w: float, h: float) -> None:
        known = [v for v in values if v is not None]
        if len(known) < 2:
            return
        low, high = min(known), max(known)
        span = (high - low) or 1.0
        step = w / (len(values) - 1)
        points = [(x + n * step, y + h - (v - low) / span * h) for n, v in enumerate(values) if v is not None]
        self.set_draw_color(30, 90, 160)
        self.polyline(points)
        self.set_draw_color(0, 0, 0)


def _kpis(doc: Briefing, part: dict[str, Any]) -> None:
    for item in part["items"]:
        y = doc.get_y()
        doc.set_font(FAMILY, "B", 9)
        doc.cell(110, 5, item["name"], new_x="LMARGIN", new_y="NEXT")
        doc.set_font(FAMILY, "", 8)
        progress = item["target_progress_pct"]
        doc.cell(
            110,
            5,
            f"{item['period']}: {_number(item['value'])} {item['unit'] or ''} · "
            f"cả năm {_number(item['year_to_date'])} / mục tiêu {_number(item['target'])}"
            + (f" ({_number(progress)}%)" if progress is not None else ""),
            new_x="LMARGIN",
            new_y="NEXT",
        )
        doc.sparkline([p["value"] for p in item["trend"]], 130, y + 1, 60, 8)
        doc.ln(1)


def _completeness(doc: Briefing, part: dict[str, Any]) -> None:
    doc.line_text(f"Đã nộp {part['submitted']}/{part['expected']} báo cáo ({_number(part['completeness_pct'])}%)")
    rows: list[list[object]] = [
        [d["department"], d["expected"], d["submitted"], d["on_time"], d["overdue"], d["completeness_pct"]]
        for d in part["departments"]
    ]
    doc.grid(["Đơn vị", "Phải nộp", "Đã nộp", "Đúng hạn", "Quá hạn", "%"], rows, [50, 25, 25, 25, 25, 25])


def _cases(doc: Briefing, part: dict[str, Any]) -> None:
    doc.line_text(f"Tiếp nhận trong kỳ: {part['received']} vụ việc")
    statuses = sorted({s for counts in part["by_category"].values() for s in counts})
    rows: list[list[object]] = [
        [category, *(counts.get(s, 0) for s in statuses)] for category, counts in part["by_category"].items()
    ]
    if statuses:
        width = min(20.0, 130 / len(statuses))
        doc.grid(["Lĩnh vực", *statuses], rows, [50, *([width] * len(statuses))])
    doc.ln(2)
    overdue: list[list[object]] = [
        [d["department"] or "(trung tâm)", d["open"], d["overdue"]] for d in part["by_department"]
    ]
    doc.grid(["Đơn vị", "Đang mở", "Quá hạn"], overdue, [50, 30, 30])


def _satisfaction(doc: Briefing, part: dict[str, Any]) -> None:
    doc.line_text(f"Chỉ số hài lòng: {_number(part['satisfaction_index'])}% ({part['ratings']} lượt đánh giá)")
    rows: list[list[object]] = [
        [r["key"], r["ratings"], r["satisfaction_pct"], r["resolved"], r["resolved_on_time_pct"]]
        for r in part["departments"]
    ]
    doc.grid(["Đơn vị", "Đánh giá", "Hài lòng %", "Đã giải quyết", "Đúng hạn %"], rows, [50, 25, 25, 30, 25])


def _alerts(doc: Briefing, part: dict[str, Any]) -> None:
    doc.line_text(
        f"Cảnh báo: {part['total']} (chưa xác nhận {part['unacknowledged']}); sự cố mất tín hiệu: {part['incidents']}"
    )
    doc.grid(["Loại cảnh báo", "Số lượng"], [[t, n] for t, n in sorted(part["by_type"].items())], [60, 30])


def _tourism(doc: Briefing, part: dict[str, Any]) -> None:
    doc.line_text(f"Phản ánh về cơ sở kinh doanh: {part['complaints']}")
    doc.grid(
        ["Cơ sở bị phản ánh nhiều", "Phường", "Phản ánh"],
        [[b["name"], b["ward"], b["complaints"]] for b in part["most_complained"]],
        [90, 40, 25],
    )
    doc.ln(2)
    doc.grid(
        ["Cơ sở tái phạm", "Phường", "Vi phạm"],
        [[b["name"], b["ward"], b["confirmed_violations"]] for b in part["repeat_offenders"]],
        [90, 40, 25],
    )


SECTIONS = (
    ("kpis", "Chỉ tiêu chủ yếu so với kế hoạch", _kpis),
    ("completeness", "Tình hình nộp báo cáo của các đơn vị", _completeness),
    ("cases", "Phản ánh, vụ việc theo lĩnh vực và trạng thái", _cases),
    ("satisfaction", "Mức độ hài lòng của người dân", _satisfaction),
    ("alerts", "Cảnh báo và sự cố camera", _alerts),
    ("tourism", "Phản ánh du lịch và cơ sở tái phạm", _tourism),
)


def build(briefing: dict[str, Any]) -> bytes:
    doc = Briefing()
    doc.set_title(f"Báo cáo tóm tắt {briefing['period']}")
    doc.set_font(FAMILY, "B", 16)
    doc.cell(0, 10, f"Báo cáo tóm tắt tình hình thành phố · {briefing['period']}", new_x="LMARGIN", new_y="NEXT")
    doc.set_font(FAMILY, "", 9)
    doc.line_text(f"Từ {briefing['start']} đến {briefing['end']} · lập lúc {briefing['generated_at'][:16]} UTC")
    for name, title, write in SECTIONS:
        doc.heading(title)
        part = briefing[name]
        if part.get("available"):
            write(doc, part)
        else:
            doc.line_text(f"Không có số liệu: {part.get('reason')}")
    return bytes(doc.output())
