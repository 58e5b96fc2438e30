"""Headless Chromium screenshots of an edition: phone width emulated, sideways scrolling caught."""

import shutil

import pytest

from toolkit.drivers.screenshot import BROWSERS, ScreenshotError, capture, screenshot_edition

pytestmark = pytest.mark.skipif(
    not any(shutil.which(b) for b in BROWSERS), reason="Chromium is not installed (apt-get install -y chromium)"
)

FLUID = "<html><head><meta name='viewport' content='width=device-width, initial-scale=1'></head><body><p>Fits any phone.</p></body></html>"
FIXED = "<html><head><meta name='viewport' content='width=device-width, initial-scale=1'></head><body><table width='640'><tr><td>x</td></tr></table></body></html>"


def test_phone_width_is_emulated_below_chromiums_window_minimum(tmp_path):
    page = tmp_path / "fluid.html"
    page.write_text(FLUID)
    phone = capture(page, widths=(375,))[0]
    assert phone.page_width == 375 and phone.path.read_bytes().startswith(b"\x89PNG")


def test_edition_that_scrolls_sideways_on_a_phone_is_refused(tmp_path):
    page = tmp_path / "fixed.html"
    page.write_text(FIXED)
    with pytest.raises(ScreenshotError, match="scrolls sideways"):
        screenshot_edition(page, printer=lambda _line: None)


def test_rendered_edition_fits_a_phone(tmp_path):
    from datetime import date

    from toolkit.drivers.evaluate import load_client
    from vectora_core.models import Editorial
    from vectora_core.render import render

    client = load_client()
    editorial = Editorial(
        title="LAI Weekly: a very long title " * 3, intro="Intro.", tldr=("One.",), sections=(), backend="offline"
    )
    page = tmp_path / "newsletter.html"
    page.write_text(render(client, editorial, [], date(2026, 11, 19), date(2026, 11, 26), {}).html)
    shots = screenshot_edition(page, printer=lambda _line: None)
    assert [s.width for s in shots] == [1200, 375]
    assert (tmp_path / "newsletter-375.png").exists() and (tmp_path / "newsletter-1200.png").exists()
