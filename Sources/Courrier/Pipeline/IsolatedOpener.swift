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
public final class IsolatedOpener: @unchecked Sendable {
    // @unchecked Sendable: its settings are constants, and the copies it keeps are under a lock.
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
    private let cache = Copies()

    public init(limits: Limits = Limits(), executable: String? = IsolatedOpener.defaultExecutable()) {
        self.limits = limits
        self.executable = executable
    }

    /// The normalised copy of a terms PDF, and its pages as Poppler counts them.
    /// Throws `RenderError` for what is wrong with the file, `MachineFault`
    /// when this machine could not read it.
    public func terms(_ bytes: [UInt8], name: String, maximumPages: Int) throws -> AttachmentNormalizer.Terms {
        let key = SHA256.hex(bytes) + ":\(maximumPages)"
        if let copy = cache.terms(key) { return copy }
        let pdf = try run(.terms, input: bytes, name: name, code: .unreadableTerms,
                          arguments: ["--max-pages", String(maximumPages)])
        // Courrier's own copy: opened here to count its pages.
        let copy = AttachmentNormalizer.Terms(pdf: pdf, pages: try PDFDocument(bytes: pdf, name: name).pageCount)
        cache.keep(terms: copy, key)
        return copy
    }

    /// The normalised copy of a logo PNG.
    public func logo(_ bytes: [UInt8], name: String) throws -> [UInt8] {
        let key = SHA256.hex(bytes)
        if let copy = cache.logo(key) { return copy }
        let png = try run(.logo, input: bytes, name: name, code: .unreadableLogo, arguments: [])
        cache.keep(logo: png, key)
        return png
    }

    /// The wall time a child may take: its processor time is the bound, and
    /// a loaded machine runs it slower; this only ends a child that waits.
    var wallTime: TimeInterval { max(3 * limits.time, limits.time + 20) }

    /// Runs the child on `input`; its copy, or an error that says what went
    /// wrong in the words of `name`. The customer's bytes reach the child
    /// through a file with no name, which vanishes whatever happens to either.
    private func run(_ kind: UntrustedChild.Kind, input: [UInt8], name: String, code: RenderError.Code,
                     arguments: [String]) throws -> [UInt8] {
        guard let executable else {
            throw MachineFault("\(name) cannot be read: the courrier executable that reads customers' files in isolation was not found")
        }
        let inputFile = try AnonymousFile(), outputFile = try AnonymousFile(), errorFile = try AnonymousFile()
        try inputFile.write(input)
        let childArguments = [executable, UntrustedChild.verb, kind.rawValue,
                              "--name", name, "--cpu-seconds", String(Int(limits.time.rounded(.up))),
                              "--memory-bytes", String(limits.memoryBytes)] + arguments
        let termination: ChildProcess.Termination
        do {
            termination = try ChildProcess.run(childArguments, input: .descriptor(inputFile.descriptor),
                                               output: .descriptor(outputFile.descriptor),
                                               error: .descriptor(errorFile.descriptor), timeout: wallTime)
        } catch {
            throw MachineFault("\(name) could not be read: \(error.description)")
        }
        let errorText = String(decoding: try errorFile.read(limit: 64 * 1024), as: UTF8.self)
        let lastLine = errorText.split(separator: "\n").last.map(String.init)
        switch termination {
        case .exited(0):
            let copy = try outputFile.read(limit: 256 * 1024 * 1024)
            guard !copy.isEmpty else { throw MachineFault("\(name) could not be read: the reader wrote no copy") }
            return copy
        case .exited(UntrustedChild.refusedStatus):
            // The reader's own verdict: one line that names the file and what is wrong.
            throw RenderError(code, lastLine ?? "\(name) cannot be read")
        case .exited(UntrustedChild.machineStatus):
            throw MachineFault(lastLine ?? "\(name) could not be read: the reader failed")
        case .timedOut:
            throw RenderError(code, "\(name) took longer than \(Self.seconds(wallTime)) to read, waiting")
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

/// The copies an opener made, shared by the threads that read at once.
private final class Copies: @unchecked Sendable {
    // @unchecked Sendable: every access is under `lock`.
    private let lock = NSLock()
    private var terms: [String: AttachmentNormalizer.Terms] = [:]
    private var logos: [String: [UInt8]] = [:]
    /// Distinct files of each kind kept: an enqueue of thousands of
    /// documents with as many different terms holds no more than these.
    private let capacity = 64

    func terms(_ key: String) -> AttachmentNormalizer.Terms? { lock.withLock { terms[key] } }
    func logo(_ key: String) -> [UInt8]? { lock.withLock { logos[key] } }

    func keep(terms copy: AttachmentNormalizer.Terms, _ key: String) {
        lock.withLock {
            if terms.count >= capacity { terms.removeAll() }
            terms[key] = copy
        }
    }

    func keep(logo copy: [UInt8], _ key: String) {
        lock.withLock {
            if logos.count >= capacity { logos.removeAll() }
            logos[key] = copy
        }
    }
}
