"""The report's chart: stock/headers per measurement, as an SVG (standard library only).

One row per measurement. A bar is the measured ratio stock/headers (median of interleaved runs);
for clean builds, a circle and a diamond mark the simulated ratio on 2 and on 16 cores. The x
axis is logarithmic; the line at 1 separates where headers win (right) from where they lose
(left).
"""

import math
from html import escape

WIDTH, LEFT, RIGHT, ROW, TOP = 900, 330, 40, 22, 40
LOW, HIGH = 0.5, 32.0


def x_of(ratio: float) -> float:
    ratio = min(max(ratio, LOW), HIGH)
    span = math.log2(HIGH) - math.log2(LOW)
    return LEFT + (math.log2(ratio) - math.log2(LOW)) / span * (WIDTH - LEFT - RIGHT)


def render(entries: list[dict], title: str) -> str:
    """entries: {"label", "ratio", optional "sim2", "sim16"}."""
    height = TOP + ROW * len(entries) + 50
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
           f'font-family="sans-serif" font-size="12">',
           f'<rect width="{WIDTH}" height="{height}" fill="white"/>',
           f'<text x="{LEFT}" y="20" font-size="14" font-weight="bold">{escape(title)}</text>']
    bottom = TOP + ROW * len(entries)
    for tick in (0.5, 1, 2, 4, 8, 16, 32):
        x = x_of(tick)
        out.append(f'<line x1="{x:.1f}" y1="{TOP - 5}" x2="{x:.1f}" y2="{bottom}" '
                   f'stroke="{"#444" if tick == 1 else "#ddd"}"/>')
        out.append(f'<text x="{x:.1f}" y="{bottom + 15}" text-anchor="middle">{tick:g}×</text>')
    for i, e in enumerate(entries):
        y = TOP + ROW * i
        out.append(f'<text x="{LEFT - 8}" y="{y + 15}" text-anchor="end">{escape(e["label"])}</text>')
        x1, x0 = x_of(e["ratio"]), x_of(1.0)
        colour = "#4a8" if e["ratio"] >= 1 else "#d64"
        out.append(f'<rect x="{min(x0, x1):.1f}" y="{y + 4}" width="{abs(x1 - x0):.1f}" '
                   f'height="{ROW - 8}" fill="{colour}"><title>{e["ratio"]:.2f}</title></rect>')
        out.append(f'<text x="{max(x0, x1) + 4:.1f}" y="{y + 15}" fill="#333">{e["ratio"]:.2f}</text>')
        if "sim2" in e:
            out.append(f'<circle cx="{x_of(e["sim2"]):.1f}" cy="{y + ROW / 2}" r="4" fill="none" '
                       f'stroke="#225" stroke-width="1.5"><title>simulated, 2 cores: '
                       f'{e["sim2"]:.2f}</title></circle>')
        if "sim16" in e:
            cx, cy = x_of(e["sim16"]), y + ROW / 2
            out.append(f'<path d="M{cx:.1f},{cy - 5} l5,5 l-5,5 l-5,-5 z" fill="#225">'
                       f'<title>simulated, 16 cores: {e["sim16"]:.2f}</title></path>')
    legend = bottom + 35
    out.append(f'<rect x="{LEFT}" y="{legend - 9}" width="12" height="10" fill="#4a8"/>'
               f'<text x="{LEFT + 16}" y="{legend}">measured stock/headers, 2 cores '
               f'(red: headers lose)</text>'
               f'<circle cx="{LEFT + 330}" cy="{legend - 4}" r="4" fill="none" stroke="#225"/>'
               f'<text x="{LEFT + 340}" y="{legend}">simulated, 2 cores</text>'
               f'<path d="M{LEFT + 470},{legend - 9} l5,5 l-5,5 l-5,-5 z" fill="#225"/>'
               f'<text x="{LEFT + 480}" y="{legend}">simulated, 16 cores</text>')
    out.append("</svg>\n")
    return "\n".join(out)
