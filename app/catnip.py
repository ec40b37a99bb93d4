"""catnip: a tiny web app that shows a random cat, in the spirit of the classic Docker tutorial.

The cats are drawn as SVG by this module, so the page needs no external image host and
every request can show a different one. `/health` is what the load balancer probes.
"""

from __future__ import annotations

import os
import random
from html import escape

from flask import Flask, Response, jsonify, request

app = Flask(__name__)

FURS = ["#f4a261", "#6d6875", "#2b2d42", "#e9c46a", "#d4a373", "#adb5bd", "#fefae0"]
EYES = ["#2a9d8f", "#e76f51", "#8ab17d", "#264653", "#ffb703"]
NAMES = ["Miso", "Tofu", "Pixel", "Nimbus", "Biscuit", "Mochi", "Pepper", "Ziggy", "Olive", "Comet"]


def draw_cat(seed: int) -> str:
    """Return an SVG cat; the same seed always draws the same cat."""
    rnd = random.Random(seed)
    fur, eye = rnd.choice(FURS), rnd.choice(EYES)
    tilt = rnd.randint(-12, 12)
    whisker = rnd.randint(28, 46)
    stripes = "".join(
        f'<path d="M{100 + dx} 62 q4 10 0 20" stroke="#00000033" stroke-width="5" fill="none"/>'
        for dx in rnd.sample([-22, -10, 0, 10, 22], rnd.randint(0, 3))
    )
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 200" width="320" height="320">'
        f'<g transform="rotate({tilt} 100 110)">'
        f'<polygon points="48,70 62,18 92,58" fill="{fur}"/>'
        f'<polygon points="152,70 138,18 108,58" fill="{fur}"/>'
        f'<ellipse cx="100" cy="110" rx="64" ry="56" fill="{fur}"/>{stripes}'
        f'<circle cx="76" cy="102" r="11" fill="{eye}"/><circle cx="124" cy="102" r="11" fill="{eye}"/>'
        '<circle cx="76" cy="102" r="4" fill="#111"/><circle cx="124" cy="102" r="4" fill="#111"/>'
        '<polygon points="94,124 106,124 100,132" fill="#e5989b"/>'
        f'<path d="M100 132 v6 M{100 - whisker} 126 L86 130 M{100 - whisker} 138 L86 134 '
        f'M{100 + whisker} 126 L114 130 M{100 + whisker} 138 L114 134" stroke="#333" stroke-width="2"/>'
        "</g></svg>"
    )


@app.get("/")
def index() -> Response:
    seed = random.SystemRandom().randrange(1_000_000)
    name = NAMES[seed % len(NAMES)]
    version = escape(os.environ.get("APP_VERSION", "dev"))
    page = (
        "<!doctype html><html><head><meta charset='utf-8'><title>catnip</title>"
        "<style>body{font-family:system-ui,sans-serif;text-align:center;margin-top:3rem}</style></head>"
        f"<body><h1>Cat of the moment: {name}</h1>{draw_cat(seed)}"
        f"<p><a href='/'>another cat</a> · <a href='/cat.svg?seed={seed}'>this cat as SVG</a></p>"
        f"<p><small>catnip {version}</small></p></body></html>"
    )
    return Response(page, mimetype="text/html")


@app.get("/cat.svg")
def cat_svg() -> Response:
    seed = request.args.get("seed", type=int)
    if seed is None:
        seed = random.SystemRandom().randrange(1_000_000)
    return Response(draw_cat(seed), mimetype="image/svg+xml")


@app.get("/health")
def health() -> Response:
    # Cheap and dependency-free on purpose: the load balancer calls it every few seconds.
    return jsonify(status="ok")
