import Foundation
import Bundling
import Letters
import Rendering
import Storage

/// Draws one part of a cut in a process of its own, Courrier run again as
/// `courrier draw-part REQUEST RESULT`: parts drawn at once need separate
/// processes, since Cairo 1.16 shares scaled fonts between the threads of
/// one. The child reads the store, draws the part into the bundle's partial
/// folder, and writes what it drew as JSON.
enum PartProcess {
    static let verb = "draw-part"
    /// The child's exit status when letters of its part could not be drawn;
    /// its result file then holds `BundleWriter.LettersFailed`.
    static let lettersFailedStatus: Int32 = 3

    /// What the parent asks of the child.
    struct Request: Codable {
        var batch: String
        var createdAt: String
        var folder: String
        var marks: String
        var part: BundlePart
        /// The letter before the part's first in the stream's print order.
        var afterSortKey: String?
        var afterJob: Int64?
    }

    /// In the parent: runs the child for `part` and waits for it.
    static func draw(_ part: BundlePart, _ drawing: PartDrawing, after position: PrintPosition?, executable: String,
                     configuration: Configuration) throws -> PartDrawing.Written {
        let folder = drawing.folder
        let requestFile = folder.appendingPathComponent(".part-\(part.index).request")
        let resultFile = folder.appendingPathComponent(".part-\(part.index).result")
        let errorFile = folder.appendingPathComponent(".part-\(part.index).error")
        defer {
            for file in [requestFile, resultFile, errorFile] { try? FileManager.default.removeItem(at: file) }
        }
        let request = Request(batch: drawing.batch, createdAt: drawing.createdAt, folder: folder.path,
                              marks: drawing.marks.description, part: part, afterSortKey: position?.sortKey,
                              afterJob: position?.job)
        try writePrivately(try JSONEncoder().encode(request), to: requestFile)
        // The settings the child needs, whatever gave them to this process (options, a file).
        let environment = configuration.childEnvironment().merging([
            // Each of the parts drawn at once keeps its share.
            "COURRIER_TERMS_MEMORY": "\(max(16, configuration.termsMemory / configuration.threads / 1024 / 1024))M",
        ]) { $1 }
        let termination: ChildProcess.Termination
        do {
            termination = try ChildProcess.run([executable, verb, requestFile.path, resultFile.path],
                                               standardError: errorFile.path, timeout: 6 * 3600, environment: environment)
        } catch {
            throw CutError(.partFailed, batch: drawing.batch, "part \(part.file) of bundle \(drawing.batch) could not be drawn: \(error.description)")
        }
        if termination == .exited(lettersFailedStatus), let data = FileManager.default.contents(atPath: resultFile.path) {
            throw try JSONDecoder().decode(BundleWriter.LettersFailed.self, from: data)
        }
        guard termination == .exited(0), let data = FileManager.default.contents(atPath: resultFile.path) else {
            let said = (try? String(contentsOf: errorFile, encoding: .utf8))?.split(separator: "\n").last.map(String.init)
            throw CutError(.partFailed, batch: drawing.batch, said ?? "part \(part.file) of bundle \(drawing.batch) could not be drawn (\(termination))")
        }
        return try JSONDecoder().decode(PartDrawing.Written.self, from: data)
    }

    /// In the child: draws the part the request file asks for; returns the exit status.
    static func main(_ arguments: [String], environment: [String: String]) -> Int32 {
        guard arguments.count == 2 else {
            FileHandle.standardError.write(Data("courrier \(verb): usage: REQUEST RESULT\n".utf8))
            return 2
        }
        do {
            let request = try JSONDecoder().decode(Request.self, from: Data(contentsOf: URL(fileURLWithPath: arguments[0])))
            let configuration = try Configuration.fromEnvironment(environment)
            let tariff = try configuration.loadTariff()
            let store = try StoreLocation.open(configuration.database, readOnly: true)
            let position = request.afterSortKey.map { PrintPosition(sortKey: $0, job: request.afterJob ?? 0) }
            let letters = CutLetters(store: store, owned: store, batch: request.batch, stream: request.part.stream,
                                     after: position, count: request.part.letters.count,
                                     intake: Intake(configuration, tariff: tariff),
                                     termsBudget: configuration.termsMemory, shouldStop: { false }, advance: {})
            defer { letters.close() }
            let drawing = PartDrawing(batch: request.batch, createdAt: request.createdAt,
                                      folder: URL(fileURLWithPath: request.folder, isDirectory: true),
                                      marks: MarkScheme(request.marks) ?? .none)
            let written = try drawing.draw(request.part, from: letters)
            try writePrivately(try JSONEncoder().encode(written), to: URL(fileURLWithPath: arguments[1]))
            return 0
        } catch let failed as BundleWriter.LettersFailed {
            // The letters' failures, for the parent to take them out of the cut.
            do {
                try writePrivately(try JSONEncoder().encode(failed), to: URL(fileURLWithPath: arguments[1]))
            } catch {
                FileHandle.standardError.write(Data("\(error)\n".utf8))
                return 1
            }
            return lettersFailedStatus
        } catch {
            FileHandle.standardError.write(Data("\(String(describing: error).replacingOccurrences(of: "\n", with: " "))\n".utf8))
            return 1
        }
    }

    /// A small file for this user only (0600): the request and the result.
    private static func writePrivately(_ data: Data, to url: URL) throws {
        guard FileManager.default.createFile(atPath: url.path, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw MailRoomError(.file, subject: url.path, "cannot write \(url.path): \(String(cString: strerror(errno)))")
        }
    }
}
