#!/usr/bin/env python3
"""Generates the catalog's seed data and the product images the storefront shows.

Writes services/catalog/seed/catalog.json (categories and products, loaded by the catalog
service on first start with an empty database) and one SVG per product under
services/gateway/web/images/products/. Deterministic: the same input gives byte-identical
output, so re-running it is a no-op unless this script changes.

    python3 scripts/generate-seed.py
"""
import json
import random
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "services/catalog/seed/catalog.json"
IMAGES = ROOT / "services/gateway/web/images/products"
NAMESPACE = uuid.UUID("6d657263-6174-6f00-0000-000000000001")

# category id, name, colour, glyph, [(product type, base price in cents, blurb)], variants
CATALOG = [
    ("kitchen", "Kitchen & Dining", "#c2410c", "pot", [
        ("Cast Iron Skillet", 3499, "Pre-seasoned and oven safe to 260 °C; it sears, bakes and lasts for generations."),
        ("Chef's Knife", 5999, "Forged high-carbon stainless steel with a full tang and a comfortable grip."),
        ("Dutch Oven", 8999, "Enamelled cast iron that holds heat evenly for braises, stews and bread."),
        ("Pour-Over Coffee Kettle", 4299, "Gooseneck spout for a slow, steady pour and a built-in thermometer."),
        ("Bamboo Cutting Board", 2499, "Knife-friendly end-grain bamboo with a juice groove and rubber feet."),
        ("Stainless Mixing Bowls", 2999, "A nesting set with non-slip bases and measurement marks inside."),
        ("Ceramic Dinner Plates", 3999, "Stoneware plates, set of four, dishwasher and microwave safe."),
        ("Espresso Cups", 1999, "Double-walled glass cups that keep coffee hot and hands cool, set of two."),
        ("Silicone Spatula Set", 1499, "Heat resistant to 230 °C and gentle on non-stick pans."),
        ("Digital Kitchen Scale", 2299, "Weighs to the gram up to 5 kg, with tare and unit switching."),
        ("Salad Spinner", 2799, "Pump-action spinner with a brake; the bowl doubles as a serving dish."),
        ("French Press", 3299, "Borosilicate glass carafe and a four-level stainless filter."),
    ], ["Classic", "Pro"]),
    ("home", "Home & Living", "#7c3aed", "lamp", [
        ("Linen Throw Pillow", 2999, "Stonewashed linen cover with a feather-blend insert."),
        ("Wool Blanket", 8999, "Warm, breathable merino wool in a herringbone weave."),
        ("Ceramic Table Lamp", 6999, "Hand-glazed base with a linen drum shade and a warm LED bulb."),
        ("Scented Soy Candle", 1899, "Clean-burning soy wax with about 45 hours of burn time."),
        ("Cotton Bath Towel", 2499, "Long-staple cotton, 600 g/m², soft and quick to dry."),
        ("Wall Clock", 3999, "A silent sweep movement behind a minimalist 30 cm face."),
        ("Storage Basket", 2799, "Woven seagrass basket with handles for blankets and toys."),
        ("Picture Frame", 1599, "Solid wood frame with a mat and shatter-resistant glazing."),
        ("Ceramic Vase", 3499, "Matte glaze vase for fresh or dried stems."),
        ("Blackout Curtains", 4999, "Thermal lined curtains that block 99 % of light, pair."),
        ("Door Mat", 2299, "Coir fibre mat that scrapes shoes clean and dries quickly."),
        ("Bedside Table", 12999, "Oak veneer table with a drawer and an open shelf."),
    ], ["Natural", "Charcoal"]),
    ("electronics", "Electronics", "#0369a1", "bolt", [
        ("Wireless Earbuds", 7999, "Active noise cancelling, 8 hours per charge and a pocketable case."),
        ("Bluetooth Speaker", 5999, "Waterproof speaker with deep bass and 12 hours of playback."),
        ("USB-C Charger", 2999, "65 W gallium nitride charger that tops up a laptop and a phone together."),
        ("Mechanical Keyboard", 8999, "Hot-swappable switches, PBT keycaps and a compact 75 % layout."),
        ("Wireless Mouse", 3499, "Ergonomic shape, silent clicks and months of battery life."),
        ("4K Webcam", 9999, "Sharp video with autofocus and a privacy shutter."),
        ("Portable SSD", 10999, "1 TB of fast storage in a drop-resistant aluminium shell."),
        ("E-Reader", 12999, "Glare-free 6.8 inch display with an adjustable warm light."),
        ("Smart Plug", 1999, "Schedule and switch lamps and appliances from your phone."),
        ("Noise Cancelling Headphones", 24999, "Over-ear headphones with 30 hours of battery and multipoint pairing."),
        ("Power Bank", 3999, "20,000 mAh battery with USB-C power delivery."),
        ("Monitor Light Bar", 4999, "Lights the desk, not the screen, with adjustable colour temperature."),
    ], ["Black", "White"]),
    ("books", "Books", "#15803d", "book", [
        ("The Quiet Harbour", 1699, "A novel of a fishing town, a lighthouse keeper and one long winter."),
        ("Practical Bread Baking", 2999, "From first loaf to open-crumb sourdough, step by step."),
        ("A Short History of Maps", 2499, "How people drew the world, and how the drawings changed them."),
        ("Systems Design Field Guide", 4499, "Patterns, trade-offs and war stories from running large services."),
        ("The Gardener's Year", 2299, "Month-by-month tasks for a productive, low-effort garden."),
        ("Stars Over the Desert", 1599, "A thriller that crosses three borders in four days."),
        ("Cooking for One", 2199, "Small-batch recipes that waste nothing."),
        ("Mountain Trails Atlas", 3499, "Two hundred day hikes with maps and elevation profiles."),
        ("The Patient Investor", 1999, "Plain-language advice on saving and investing for decades."),
        ("Poems for Rainy Days", 1399, "A pocket anthology of short poems, old and new."),
        ("Learning Modern C++", 4999, "From values and types to concurrency, with exercises."),
        ("Birds of the Coast", 2699, "An illustrated field guide with range maps."),
    ], ["Paperback", "Hardcover"]),
    ("outdoors", "Outdoors & Garden", "#4d7c0f", "tree", [
        ("Camping Tent", 17999, "Two-person, three-season tent that pitches in five minutes."),
        ("Sleeping Bag", 11999, "Rated to -5 °C, compressible and water-resistant."),
        ("Hiking Backpack", 12999, "35 litres with a ventilated back panel and a rain cover."),
        ("Insulated Water Bottle", 2999, "Keeps drinks cold for 24 hours or hot for 12."),
        ("Headlamp", 2499, "400 lumens, red night mode and a rechargeable battery."),
        ("Garden Trowel", 1499, "Stainless blade with depth markings and an ash handle."),
        ("Pruning Shears", 2799, "Bypass pruners with a sap groove and a safety lock."),
        ("Raised Garden Bed", 8999, "Cedar planks that resist rot, 120 x 60 cm."),
        ("Hammock", 5999, "Parachute nylon hammock with tree straps included."),
        ("Camp Stove", 6999, "Compact gas stove that boils a litre in under four minutes."),
        ("Watering Can", 1999, "Galvanised steel can with a detachable rose."),
        ("Folding Camp Chair", 4499, "Packs small and holds up to 120 kg."),
    ], ["Forest Green", "Slate"]),
    ("sports", "Sports & Fitness", "#b91c1c", "ball", [
        ("Yoga Mat", 3999, "6 mm natural rubber mat with a grippy, sweat-wicking surface."),
        ("Adjustable Dumbbells", 19999, "Dial from 2.5 to 24 kg in seconds."),
        ("Running Shoes", 11999, "Responsive cushioning and a breathable knit upper."),
        ("Jump Rope", 1499, "Ball-bearing handles and an adjustable steel cable."),
        ("Resistance Bands", 2499, "Five bands from extra-light to extra-heavy with a door anchor."),
        ("Foam Roller", 2299, "High-density roller for recovery and mobility work."),
        ("Cycling Helmet", 7999, "Lightweight helmet with MIPS protection and a rear light."),
        ("Tennis Racket", 12999, "Graphite frame, 100 square inch head, pre-strung."),
        ("Football", 2999, "Match-grade, thermally bonded panels, size 5."),
        ("Swim Goggles", 1999, "Anti-fog lenses and a soft silicone seal."),
        ("Kettlebell", 4999, "Powder-coated cast iron, 16 kg."),
        ("Fitness Tracker", 8999, "Heart rate, sleep and steps with a week of battery."),
    ], ["Blue", "Red"]),
    ("toys", "Toys & Games", "#d97706", "star", [
        ("Wooden Building Blocks", 3499, "One hundred blocks in natural and painted beech."),
        ("Strategy Board Game", 4499, "Build, trade and settle; two to four players, about an hour."),
        ("1000-Piece Jigsaw Puzzle", 1999, "A harbour at dusk, printed on thick recycled board."),
        ("Remote Control Car", 5999, "Off-road car that reaches 25 km/h, with a rechargeable battery."),
        ("Plush Bear", 2499, "Soft, washable and safe from birth."),
        ("Magnetic Tiles", 4999, "Sixty translucent tiles for building 3D shapes."),
        ("Card Game", 1299, "Fast, loud and funny, for three to eight players."),
        ("Kids' Art Set", 2999, "Crayons, markers, paints and paper in a carry case."),
        ("Marble Run", 3999, "Eighty pieces to build tracks, spirals and drops."),
        ("Chess Set", 5499, "Weighted pieces and a folding walnut board."),
        ("Kite", 2299, "Easy-flying delta kite with 30 m of line."),
        ("Science Experiment Kit", 3299, "Twenty experiments with crystals, slime and volcanoes."),
    ], ["Junior", "Deluxe"]),
    ("beauty", "Beauty & Personal Care", "#be185d", "drop", [
        ("Hydrating Face Cream", 2899, "Hyaluronic acid and ceramides for all-day moisture."),
        ("Mineral Sunscreen SPF 50", 1999, "Broad-spectrum protection without a white cast."),
        ("Bamboo Toothbrush", 599, "Biodegradable handle and soft bristles, pack of four."),
        ("Electric Toothbrush", 6999, "Pressure sensor, two-minute timer and a travel case."),
        ("Shampoo Bar", 1299, "Sulphate-free bar that lasts as long as three bottles."),
        ("Hair Dryer", 8999, "Ionic dryer with three heat settings and a cool shot."),
        ("Lip Balm", 499, "Beeswax and shea butter, unscented."),
        ("Facial Cleanser", 1699, "Gentle gel cleanser that does not strip the skin."),
        ("Body Lotion", 1499, "Fast-absorbing lotion with oat extract."),
        ("Beard Oil", 1899, "Jojoba and argan oils with a light cedar scent."),
        ("Nail Care Kit", 2299, "Stainless clippers, file and cuticle tools in a case."),
        ("Bath Salts", 1599, "Magnesium-rich salts with lavender essential oil."),
    ], ["Travel Size", "Family Size"]),
    ("clothing", "Clothing", "#1d4ed8", "shirt", [
        ("Organic Cotton T-Shirt", 2499, "Heavyweight jersey that keeps its shape wash after wash."),
        ("Merino Wool Sweater", 8999, "Fine-knit merino that is warm, light and never itchy."),
        ("Rain Jacket", 12999, "Waterproof and breathable with taped seams and a packable hood."),
        ("Denim Jeans", 7999, "Straight fit in rigid selvedge denim."),
        ("Wool Socks", 1799, "Cushioned hiking socks, pair."),
        ("Canvas Sneakers", 5999, "Vulcanised rubber sole and an organic cotton upper."),
        ("Down Vest", 9999, "Responsibly sourced down and a water-repellent shell."),
        ("Linen Shirt", 6499, "Relaxed fit, garment washed for softness."),
        ("Knit Beanie", 2299, "Ribbed wool blend that covers the ears."),
        ("Leather Belt", 4499, "Full-grain leather with a solid brass buckle."),
        ("Chino Shorts", 4999, "Stretch cotton twill with a 23 cm inseam."),
        ("Fleece Hoodie", 6999, "Recycled polyester fleece with a full zip."),
    ], ["Navy", "Olive"]),
    ("office", "Office Supplies", "#475569", "pen", [
        ("Dotted Notebook", 1999, "A5, 240 numbered pages of fountain-pen-friendly paper."),
        ("Fountain Pen", 3999, "Steel nib, converter included, writes smooth from the first line."),
        ("Desk Organizer", 2999, "Walnut tray with compartments for pens, cards and a phone."),
        ("Ergonomic Office Chair", 34999, "Adjustable lumbar support, armrests and seat depth."),
        ("Standing Desk Converter", 24999, "Raises any desk to standing height with a gas spring."),
        ("Mechanical Pencil", 1299, "0.5 mm lead with a knurled metal grip."),
        ("Sticky Notes", 799, "Twelve pads in muted colours that stick and remove cleanly."),
        ("Paper Shredder", 8999, "Cross-cut shredder for ten sheets at a time."),
        ("Laptop Stand", 3999, "Aluminium stand that lifts the screen to eye level."),
        ("Whiteboard", 4999, "Magnetic 90 x 60 cm board with a marker tray."),
        ("Label Maker", 3499, "Prints durable labels from your phone over Bluetooth."),
        ("Document Folders", 1499, "Recycled card folders with elastic closures, pack of ten."),
    ], ["Standard", "Premium"]),
]

GLYPHS = {
    "pot": '<path d="M70 110h100v40a30 30 0 0 1-30 30h-40a30 30 0 0 1-30-30z M60 110h120 M100 100v-10h40v10" fill="none" stroke="#fff" stroke-width="8" stroke-linecap="round"/>',
    "lamp": '<path d="M90 70h60l20 50H70z M120 120v50 M95 175h50" fill="none" stroke="#fff" stroke-width="8" stroke-linejoin="round"/>',
    "bolt": '<path d="M130 55l-45 70h35l-10 60 45-75h-35z" fill="#fff"/>',
    "book": '<path d="M70 70h45a10 10 0 0 1 10 10v100a10 10 0 0 0-10-10H70z M170 70h-45 M125 80a10 10 0 0 1 10-10h35v100h-35a10 10 0 0 0-10 10" fill="none" stroke="#fff" stroke-width="8" stroke-linejoin="round"/>',
    "tree": '<path d="M120 55l45 70h-25l30 40H70l30-40H75z M120 165v20" fill="none" stroke="#fff" stroke-width="8" stroke-linejoin="round"/>',
    "ball": '<circle cx="120" cy="120" r="55" fill="none" stroke="#fff" stroke-width="8"/><path d="M65 120h110 M120 65c-25 30-25 80 0 110 M120 65c25 30 25 80 0 110" fill="none" stroke="#fff" stroke-width="6"/>',
    "star": '<path d="M120 55l18 40 43 4-33 29 10 43-38-23-38 23 10-43-33-29 43-4z" fill="#fff"/>',
    "drop": '<path d="M120 55c30 45 50 70 50 95a50 50 0 0 1-100 0c0-25 20-50 50-95z" fill="#fff"/>',
    "shirt": '<path d="M95 65l-40 25 15 30 15-8v68h70v-68l15 8 15-30-40-25c-5 12-15 18-25 18s-20-6-25-18z" fill="#fff"/>',
    "pen": '<path d="M150 60l30 30-80 80-40 10 10-40z M140 70l30 30" fill="none" stroke="#fff" stroke-width="8" stroke-linejoin="round"/>',
}

ADJECTIVES = ["Durable", "Thoughtfully made", "Everyday", "Best-selling", "Gift-ready", "Customer favourite"]


def lighten(hex_colour: str, amount: float) -> str:
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    r, g, b = (round(c + (255 - c) * amount) for c in (r, g, b))
    return f"#{r:02x}{g:02x}{b:02x}"


def svg(name: str, colour: str, glyph: str) -> str:
    # Two lines of at most ~20 characters for the caption.
    words, lines, line = name.split(), [], ""
    for w in words:
        if line and len(line) + 1 + len(w) > 20:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}".strip()
    lines.append(line)
    lines = lines[:2]
    text = "".join(
        f'<text x="120" y="{212 + i * 18}" font-family="system-ui,sans-serif" font-size="15" '
        f'font-weight="600" fill="#fff" text-anchor="middle">{escape(l)}</text>'
        for i, l in enumerate(lines))
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 240 250" role="img" '
        f'aria-label="{escape(name)}"><defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1">'
        f'<stop offset="0" stop-color="{lighten(colour, 0.25)}"/><stop offset="1" stop-color="{colour}"/>'
        f'</linearGradient></defs><rect width="240" height="250" rx="16" fill="url(#g)"/>'
        f'{GLYPHS[glyph]}{text}</svg>\n')


def escape(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def main() -> None:
    rng = random.Random(20261126)
    categories, products = [], []
    IMAGES.mkdir(parents=True, exist_ok=True)
    for position, (cat_id, cat_name, colour, glyph, items, variants) in enumerate(CATALOG):
        categories.append({"id": cat_id, "name": cat_name})
        for type_index, (kind, base_price, blurb) in enumerate(items):
            for v_index, variant in enumerate(variants):
                name = f"{kind} — {variant}"
                pid = str(uuid.uuid5(NAMESPACE, f"{cat_id}/{kind}/{variant}"))
                price = base_price + v_index * round(base_price * 0.2 / 100) * 100
                extra = [c for c in CATALOG if c[0] != cat_id]
                cats = [cat_id]
                # A few products belong to a second category (gifts cross over).
                if rng.random() < 0.15:
                    cats.append(rng.choice(extra)[0])
                products.append({
                    "id": pid,
                    "name": name,
                    "description": f"{blurb} {rng.choice(ADJECTIVES)}, in the {variant.lower()} edition.",
                    "price": {"amount": price, "currency": "USD"},
                    "categories": cats,
                    "image_url": f"/images/products/{pid}.svg",
                    "stock": rng.randrange(5, 120),
                })
                (IMAGES / f"{pid}.svg").write_text(svg(f"{kind}", colour, glyph))
    SEED.parent.mkdir(parents=True, exist_ok=True)
    SEED.write_text(json.dumps({"categories": categories, "products": products}, indent=1,
                               ensure_ascii=False) + "\n")
    print(f"{len(categories)} categories, {len(products)} products -> {SEED.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
