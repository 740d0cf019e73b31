import Checksums
import Foundation
import Letters
import Rendering

/// Opens the files customers give (terms PDFs, logos) in a child process,
/// Courrier run again as `courrier open-untrusted`, under limits on CPU time,
/// wall time and address space, and hands back the copy the child wrote.
///
/// A PDF that crashes Poppler, recurses for minutes or asks for gigabytes
/// then fails its own letter with a reason, and the batch goes on. Everything
/// Courrier draws later comes from such a copy, so this is the one opener of
/// customers' files: intake, render, quote and proof all go through it.
public final class IsolatedOpener {
    /// The bounds of one child.
    public struct Limits: Sendable, Equatable {
        /// Wall time, and CPU time, for one file.
        public var time: TimeInterval = 10
        /// Address space, in bytes.
        public var memoryBytes: Int = 1024 * 1024 * 1024

        public init(time: TimeInterval = 10, memoryBytes: Int = 1024 * 1024 * 1024) {
            self.time = time
            self.memoryBytes = memoryBytes
        }
    }

    let limits: Limits
    /// The `courrier` executable the child runs.
    let executable: String?
    /// Copies already made in this process, by the SHA-256 of what the customer
    /// gave: a terms PDF shared by a thousand invoices is read once.
    private var terms: [String: AttachmentNormalizer.Terms] = [:]
    private var logos: [String: [UInt8]] = [:]
    /// Distinct files of each kind kept: an enqueue of thousands of
    /// documents with as many different terms holds no more than these.
    private let capacity = 64

    public init(limits: Limits = Limits(), executable: String? = IsolatedOpener.defaultExecutable()) {
        self.limits = limits
        self.executable = executable
    }

    /// The normalised copy of a terms PDF, and its pages as Poppler counts them.
    public func terms(_ bytes: [UInt8], name: String, maximumPages: Int) throws(RenderError) -> AttachmentNormalizer.Terms {
        let key = SHA256.hex(bytes) + ":\(maximumPages)"
        if let copy = terms[key] { return copy }
        let pdf = try run(.terms, input: bytes, name: name, code: .unreadableTerms,
                          arguments: ["--max-pages", String(maximumPages)])
        // Courrier's own copy: opened here to count its pages.
        let copy = AttachmentNormalizer.Terms(pdf: pdf, pages: try PDFDocument(bytes: pdf, name: name).pageCount)
        if terms.count >= capacity { terms.removeAll() }
        terms[key] = copy
        return copy
    }

    /// The normalised copy of a logo PNG.
    public func logo(_ bytes: [UInt8], name: String) throws(RenderError) -> [UInt8] {
        let key = SHA256.hex(bytes)
        if let copy = logos[key] { return copy }
        let png = try run(.logo, input: bytes, name: name, code: .unreadableLogo, arguments: [])
        if logos.count >= capacity { logos.removeAll() }
        logos[key] = png
        return png
    }

    /// Runs the child on `input`; its output file, or an error that says what
    /// went wrong in the words of `name`.
    private func run(_ kind: UntrustedChild.Kind, input: [UInt8], name: String, code: RenderError.Code,
                     arguments: [String]) throws(RenderError) -> [UInt8] {
        guard let executable else {
            throw RenderError(code, "\(name) cannot be read: the courrier executable that reads customers' files in isolation was not found")
        }
        let folder: URL
        do { folder = try Self.privateFolder() } catch {
            throw RenderError(code, "\(name) cannot be read: no private temporary folder (\(error.localizedDescription))")
        }
        defer { try? FileManager.default.removeItem(at: folder) }
        let inputFile = folder.appendingPathComponent("input"), outputFile = folder.appendingPathComponent("output")
        let errorFile = folder.appendingPathComponent("error")
        guard FileManager.default.createFile(atPath: inputFile.path, contents: Data(input)) else {
            throw RenderError(code, "\(name) cannot be read: cannot write \(inputFile.path)")
        }
        let childArguments = [executable, UntrustedChild.verb, kind.rawValue, inputFile.path, outputFile.path,
                              "--name", name, "--cpu-seconds", String(Int(limits.time.rounded(.up))),
                              "--memory-bytes", String(limits.memoryBytes)] + arguments
        let termination: ChildProcess.Termination
        do {
            termination = try ChildProcess.run(childArguments, standardError: errorFile.path, timeout: limits.time)
        } catch {
            throw RenderError(code, "\(name) cannot be read: \(error.description)")
        }
        let errorText = (try? String(contentsOf: errorFile, encoding: .utf8)) ?? ""
        switch termination {
        case .exited(0):
            guard let data = FileManager.default.contents(atPath: outputFile.path) else {
                throw RenderError(code, "\(name) cannot be read: the reader wrote no copy")
            }
            return [UInt8](data)
        case .exited(UntrustedChild.refusedStatus):
            // The reader's own verdict: one line that names the file and what is wrong.
            let line = errorText.split(separator: "\n").last.map(String.init) ?? "\(name) cannot be read"
            throw RenderError(code, line)
        case .timedOut:
            throw RenderError(code, "\(name) took longer than \(Self.seconds(limits.time)) to read")
        case .signalled(SIGXCPU):
            throw RenderError(code, "\(name) took more than \(Self.seconds(limits.time)) of processor time to read")
        case .signalled, .exited:
            if Self.ranOutOfMemory(errorText) {
                throw RenderError(code, "\(name) needs more than \(limits.memoryBytes / 1024 / 1024) MiB of memory to read")
            }
            throw RenderError(code, "\(name) crashed the reader (\(termination)): the file is damaged, or needs more than \(limits.memoryBytes / 1024 / 1024) MiB of memory to read")
        }
    }

    private static func ranOutOfMemory(_ errorText: String) -> Bool {
        let text = errorText.lowercased()
        return text.contains("alloc") || text.contains("out of memory") || text.contains("bad_alloc")
    }

    private static func seconds(_ time: TimeInterval) -> String {
        time == time.rounded() ? "\(Int(time)) s" : "\(time) s"
    }

    /// A folder only this user can enter, for the child's files.
    private static func privateFolder() throws -> URL {
        var template = Array((NSTemporaryDirectory() as NSString).appendingPathComponent("courrier-open.XXXXXX").utf8CString)
        let path = template.withUnsafeMutableBufferPointer { buffer -> String? in
            guard let base = buffer.baseAddress, mkdtemp(base) != nil else { return nil }
            return String(cString: base)
        }
        guard let path else { throw NSError(domain: NSPOSIXErrorDomain, code: Int(errno)) }
        return URL(fileURLWithPath: path, isDirectory: true)
    }

    /// This executable when it is `courrier`; otherwise (the tests, the
    /// benchmark) the `courrier` built beside it.
    public static func defaultExecutable() -> String? {
        let own = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let url = URL(fileURLWithPath: own)
        if url.lastPathComponent == "courrier" { return url.path }
        let sibling = url.deletingLastPathComponent().appendingPathComponent("courrier").path
        return FileManager.default.isExecutableFile(atPath: sibling) ? sibling : nil
    }
}
