"""Draw the addons' app icons (128x128 PNG) so they can be regenerated; run from the repo root."""

from PIL import Image, ImageDraw

SIZE = 128


def _base(color_top, color_bottom):
    image = Image.new("RGBA", (SIZE, SIZE), (0, 0, 0, 0))
    gradient = Image.new("RGBA", (SIZE, SIZE))
    draw = ImageDraw.Draw(gradient)
    for y in range(SIZE):
        t = y / (SIZE - 1)
        color = tuple(int(a + (b - a) * t) for a, b in zip(color_top, color_bottom, strict=True))
        draw.line([(0, y), (SIZE, y)], fill=color + (255,))
    mask = Image.new("L", (SIZE, SIZE), 0)
    ImageDraw.Draw(mask).rounded_rectangle([0, 0, SIZE - 1, SIZE - 1], radius=22, fill=255)
    image.paste(gradient, (0, 0), mask)
    return image


def _cross(draw, cx, cy, arm, width, fill):
    draw.rounded_rectangle([cx - width, cy - arm, cx + width, cy + arm], radius=4, fill=fill)
    draw.rounded_rectangle([cx - arm, cy - width, cx + arm, cy + width], radius=4, fill=fill)


def _arrows(draw, fill):
    # two opposite arrows: traffic in and out
    draw.line([(24, 96), (80, 96)], fill=fill, width=8)
    draw.polygon([(80, 84), (100, 96), (80, 108)], fill=fill)
    draw.line([(104, 32), (48, 32)], fill=fill, width=8)
    draw.polygon([(48, 20), (28, 32), (48, 44)], fill=fill)


def base_icon():
    image = _base((0, 135, 132), (1, 87, 109))
    draw = ImageDraw.Draw(image)
    _arrows(draw, (255, 255, 255, 200))
    _cross(draw, 64, 64, 20, 7, (255, 255, 255, 255))
    return image


def hr_icon():
    image = _base((113, 75, 103), (70, 45, 90))
    draw = ImageDraw.Draw(image)
    draw.ellipse([46, 26, 82, 62], fill=(255, 255, 255, 255))
    draw.rounded_rectangle([30, 68, 98, 104], radius=16, fill=(255, 255, 255, 255))
    _cross(draw, 96, 34, 11, 4, (255, 214, 102, 255))
    return image


def rcm_icon():
    image = _base((33, 115, 70), (18, 80, 58))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle([28, 30, 100, 98], radius=8, outline=(255, 255, 255, 255), width=6)
    for y in (48, 64, 80):
        draw.line([(40, y), (88, y)], fill=(255, 255, 255, 220), width=5)
    _cross(draw, 96, 32, 11, 4, (255, 214, 102, 255))
    return image


if __name__ == "__main__":
    base_icon().save("healthcare_integration_base/static/description/icon.png")
    hr_icon().save("healthcare_hr_sync/static/description/icon.png")
    rcm_icon().save("healthcare_rcm_sync/static/description/icon.png")
