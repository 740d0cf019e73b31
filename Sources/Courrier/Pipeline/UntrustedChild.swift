import Foundation
import Letters
import Rendering

/// `courrier open-untrusted terms|logo ...`: the child that `IsolatedOpener`
/// starts. It limits itself before it reads a byte, reads the customer's file
/// on standard input, and writes Courrier's copy of it on standard output;
/// nothing else.
///
/// Not a verb for people: it is left out of the usage text.
public enum UntrustedChild {
    public static let verb = "open-untrusted"
    /// The exit status of a file refused with a reason, written on standard error.
    static let refusedStatus: Int32 = 3
    /// The exit status when the machine failed the reader (no input, no room
    /// for the copy): the letter is not to blame.
    static let machineStatus: Int32 = 4

    enum Kind: String {
        case terms
        case logo
    }

    /// Runs the child; returns its exit status.
    public static func main(_ arguments: [String]) -> Int32 {
        var positional: [String] = []
        var options: [String: String] = [:]
        var index = 0
        while index < arguments.count {
            let word = arguments[index]
            if word.hasPrefix("--"), index + 1 < arguments.count {
                options[String(word.dropFirst(2))] = arguments[index + 1]
                index += 2
            } else {
                positional.append(word)
                index += 1
            }
        }
        guard positional.count == 1, let kind = Kind(rawValue: positional[0]),
              let cpuSeconds = options["cpu-seconds"].flatMap(Int.init), let memory = options["memory-bytes"].flatMap(Int.init) else {
            FileHandle.standardError.write(Data("courrier \(verb): usage: terms|logo --name NAME --cpu-seconds N --memory-bytes N < INPUT > COPY\n".utf8))
            return 2
        }
        limit(cpuSeconds: cpuSeconds, memoryBytes: memory)
        let name = options["name"] ?? "the file"
        let input: Data
        do {
            input = try FileHandle.standardInput.readToEnd() ?? Data()
        } catch {
            FileHandle.standardError.write(Data("\(name) could not be read: no input (\(error.localizedDescription))\n".utf8))
            return machineStatus
        }
        do {
            let output: [UInt8]
            switch kind {
            case .terms:
                let maximumPages = options["max-pages"].flatMap(Int.init) ?? 50
                let terms = try AttachmentNormalizer.terms([UInt8](input), name: name, maximumPages: maximumPages)
                // The copy is drawn again at every cut that carries it: it must be cheap to draw.
                let seconds = try AttachmentNormalizer.timeToDraw(terms.pdf, name: name)
                try checkDrawingCost(seconds: seconds, pages: terms.pages, name: name)
                output = terms.pdf
            case .logo:
                output = try AttachmentNormalizer.logo([UInt8](input), name: name)
            }
            do {
                try FileHandle.standardOutput.write(contentsOf: Data(output))
            } catch {
                FileHandle.standardError.write(Data("\(name) could not be read: its copy could not be written (\(error.localizedDescription))\n".utf8))
                return machineStatus
            }
            return 0
        } catch {
            FileHandle.standardError.write(Data("\(error.message.replacingOccurrences(of: "\n", with: " "))\n".utf8))
            return refusedStatus
        }
    }

    /// What drawing a copy of terms may cost a cut: a second a page, and
    /// `drawingMemory` for the process that draws it (its own libraries
    /// included). A PDF over either is refused now, rather than slowing or
    /// swelling every cut that carries it.
    static let drawingSecondsPerPage = 1.0
    static let drawingMemory = 256 * 1024 * 1024

    private static func checkDrawingCost(seconds: Double, pages: Int, name: String) throws(RenderError) {
        guard seconds <= drawingSecondsPerPage * Double(pages) else {
            throw RenderError(.unreadableTerms, "\(name) takes \(String(format: "%.1f", seconds)) s of processor time to draw its \(pages) pages; terms may take at most \(Int(drawingSecondsPerPage)) s a page")
        }
        let peak = peakResidentBytes()
        guard peak <= drawingMemory else {
            throw RenderError(.unreadableTerms, "\(name) needs \(peak / 1024 / 1024) MiB of memory to draw; terms may need at most \(drawingMemory / 1024 / 1024) MiB")
        }
    }

    /// The most memory this process has held, from /proc/self/status (VmHWM).
    /// Not getrusage: its ru_maxrss survives exec, and would count the memory
    /// of the process that started this one.
    private static func peakResidentBytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else { return 0 }
        let kibibytes = line.split(separator: " ").compactMap { Int($0) }.first ?? 0
        return kibibytes * 1024
    }

    /// CPU time (SIGXCPU at the soft limit, SIGKILL a second later), address
    /// space, no core files, and a bound on what it may write.
    private static func limit(cpuSeconds: Int, memoryBytes: Int) {
        func set(_ resource: Int32, _ soft: Int, _ hard: Int) {
            var value = rlimit(rlim_cur: rlim_t(soft), rlim_max: rlim_t(hard))
            setrlimit(__rlimit_resource_t(UInt32(resource)), &value)
        }
        set(Int32(RLIMIT_CPU.rawValue), cpuSeconds, cpuSeconds + 1)
        set(Int32(RLIMIT_AS.rawValue), memoryBytes, memoryBytes)
        set(Int32(RLIMIT_CORE.rawValue), 0, 0)
        set(Int32(RLIMIT_FSIZE.rawValue), 256 * 1024 * 1024, 256 * 1024 * 1024)
    }
}
