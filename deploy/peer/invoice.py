#!/usr/bin/python3
"""The peer Courrier is measured against: a short script on the same C
libraries (pycairo, Pango and Poppler through GObject introspection) that
renders the fixture invoice with its logo, a payment QR code (python3-qrcode,
error correction M) and its one-page terms PDF as a two-page letter, one PDF
per document, as a home-grown mailing job would.

Usage: invoice.py DOCUMENT.json COUNT OUTPUT_FOLDER [--no-qr]
Prints one line: letters per second. --no-qr leaves the payment code out:
python3-qrcode is pure Python, and the peer without it is the stricter one.
"""
import json
import os
import sys
import time

import cairo
import gi
import qrcode

gi.require_version("Pango", "1.0")
gi.require_version("PangoCairo", "1.0")
gi.require_version("Poppler", "0.18")
from gi.repository import Pango, PangoCairo, Poppler  # noqa: E402

A4 = (595.2756, 841.8898)
MM = 72 / 25.4


def text(context, string, font, x, y, width=None, align=Pango.Alignment.LEFT):
    layout = PangoCairo.create_layout(context)
    PangoCairo.context_set_resolution(layout.get_context(), 72)
    layout.context_changed()
    layout.set_font_description(Pango.FontDescription.from_string(font))
    if width:
        layout.set_width(int(width * Pango.SCALE))
        layout.set_wrap(Pango.WrapMode.WORD_CHAR)
    layout.set_alignment(align)
    layout.set_text(string, -1)
    context.move_to(x, y)
    PangoCairo.show_layout(context, layout)
    return layout.get_pixel_extents()[1].height


def payment_qr(document):
    """The EPC payload's modules: the same kind of code Courrier prints."""
    sender = document["sender"]
    payload = "\n".join(["BCD", "002", "1", "SCT", sender.get("bic", ""), sender["name"], sender.get("iban", ""),
                         "EUR" + document["totals"]["gross"], "", document["payment"]["reference"].strip("+*").replace("/", ""), ""])
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    code.add_data(payload.encode("utf-8"))
    code.make(fit=True)
    return code.get_matrix()


def render(document, terms, logo, path, with_qr=True):
    surface = cairo.PDFSurface(path, *A4)
    context = cairo.Context(surface)
    sender, recipient = document["sender"], document["recipient"]
    scale = min(60 * MM / logo.get_width(), 18 * MM / logo.get_height())
    context.save()
    context.translate(20 * MM, 10 * MM)
    context.scale(scale, scale)
    context.set_source_surface(logo, 0, 0)
    context.paint()
    context.restore()
    matrix = payment_qr(document) if with_qr else []
    module = 30 * MM / max(1, len(matrix))
    for row, cells in enumerate(matrix):
        for column, dark in enumerate(cells):
            if dark:
                context.rectangle(160 * MM + column * module, 230 * MM + row * module, module, module)
    context.fill()
    context.set_source_rgb(0.1, 0.1, 0.1)
    y = 30 * MM
    for line in [sender["name"], sender["street"], f'{sender["postal_code"]} {sender["city"]}', f'TVA {sender.get("vat", "")}']:
        y += text(context, line, "Liberation Sans 8", 20 * MM, y)
    address = [recipient["name"], recipient.get("attention", ""), recipient["street"],
               f'{recipient["postal_code"]} {recipient["city"]}']
    text(context, "\n".join(line for line in address if line), "Liberation Sans 10", 122 * MM, 64 * MM)
    text(context, f'Facture {document["number"]}', "Liberation Sans Bold 18", 20 * MM, 98 * MM)
    text(context, f'Date {document["issue_date"]}   Échéance {document.get("due_date", "")}', "Liberation Sans 9.5",
         20 * MM, 108 * MM)
    y = 120 * MM
    total = 0
    for line in document["lines"]:
        net = float(line["quantity"]) * float(line["unit_price"])
        total += net
        text(context, line["description"], "Liberation Sans 9.5", 20 * MM, y, width=80 * MM)
        text(context, line["quantity"], "Liberation Sans 9.5", 101 * MM, y, width=20 * MM, align=Pango.Alignment.RIGHT)
        text(context, line["unit_price"], "Liberation Sans 9.5", 121 * MM, y, width=25 * MM, align=Pango.Alignment.RIGHT)
        text(context, f"{net:.2f}", "Liberation Sans 9.5", 160 * MM, y, width=30 * MM, align=Pango.Alignment.RIGHT)
        y += 6 * MM
    context.rectangle(20 * MM, y, 170 * MM, 0.3)
    context.fill()
    text(context, f"Total {total * 1.21:.2f} €", "Liberation Sans Bold 11", 140 * MM, y + 3 * MM, width=50 * MM,
         align=Pango.Alignment.RIGHT)
    text(context, document.get("payment", {}).get("reference", ""), "Liberation Sans 9.5", 20 * MM, y + 12 * MM)
    text(context, document.get("notes", ""), "Liberation Sans 9.5", 20 * MM, y + 20 * MM, width=170 * MM)
    context.show_page()
    for index in range(terms.get_n_pages()):
        terms.get_page(index).render_for_printing(context)
        context.show_page()
    surface.finish()


def main():
    source, count, folder = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    with_qr = "--no-qr" not in sys.argv[4:]
    with open(source, encoding="utf-8") as file:
        document = json.load(file)
    terms_path = os.path.join(os.path.dirname(os.path.abspath(source)), document["terms"]["pdf"])
    terms = Poppler.Document.new_from_file("file://" + terms_path, None)
    logo_path = os.path.join(os.path.dirname(os.path.abspath(source)), document["sender"]["logo"]["png"])
    logo = cairo.ImageSurface.create_from_png(logo_path)
    os.makedirs(folder, exist_ok=True)
    start = time.monotonic()
    for index in range(count):
        render(document, terms, logo, os.path.join(folder, f"letter-{index}.pdf"), with_qr)
    elapsed = time.monotonic() - start
    print(f"{count / elapsed:.1f}")


if __name__ == "__main__":
    main()
