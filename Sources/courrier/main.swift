import Foundation
import Letters
import Rendering
let path = CommandLine.arguments[1]
let data = try Data(contentsOf: URL(fileURLWithPath: path))
let doc = try DocumentParser.parse(data)
var terms: LetterTerms? = nil
if case .pdfFile(let p)? = doc.terms { terms = try LetterTerms.open(doc.terms, pdfBytes: [UInt8](try Data(contentsOf: URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent(p))), name: p) } else { terms = try LetterTerms.open(doc.terms, pdfBytes: nil, name: "x") }
let r = LetterRenderer()
let out = try r.render(doc, terms: terms)
try Data(out.pdf).write(to: URL(fileURLWithPath: CommandLine.arguments[2]))
print(out.pages, try PDFDocument(bytes: out.pdf, name: "out").pageCount)
