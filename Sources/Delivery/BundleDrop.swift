import Foundation

/// The rules of a hand-off, the same for every kind of destination.
///
/// - The bundle's folder appears as `ROOT/<batch>/`.
/// - Each file is written under a hidden temporary name (`.NAME.partial`),
///   its size checked against the outbox, then renamed: the print shop never
///   sees a partial file under its final name.
/// - The trigger file (`READY` by default) is written last, the same way. The
///   bundle counts as delivered only once the trigger is seen on the far side.
/// - An attempt cut short resumes: files already renamed are kept, a partial
///   file is continued from its size. A bundle whose trigger is already there
///   is not sent again.
public struct BundleDrop {
    public var root: String
    public var trigger: String

    public init(root: String, trigger: String = DeliverySettings.defaultTrigger) {
        self.root = root
        self.trigger = trigger
    }

    /// What an attempt did.
    public struct Receipt: Sendable, Equatable {
        /// The bundle's folder at the destination.
        public var folder: String
        /// Files written in this attempt, whole or resumed.
        public var filesSent: Int
        /// Bytes written in this attempt.
        public var bytesSent: Int64
        /// Bytes found at the destination from an earlier attempt and kept.
        public var bytesKept: Int64
        /// True when the trigger was already there: nothing was written.
        public var alreadyDelivered: Bool
    }

    /// Steps of an attempt, for the log.
    public enum Step {
        case resuming(file: String, offset: Int64, size: Int64)
        case keeping(file: String, size: Int64)
        case sent(file: String, bytes: Int64)
    }

    public static func partialName(_ name: String) -> String { ".\(name).partial" }

    /// Hands the bundle in `folder` over as `root/batch`.
    public func deliver(bundle folder: URL, batch: String, to drop: DropFolder,
                        observe: (Step) -> Void = { _ in }) throws(DeliveryError) -> Receipt {
        let remote = Self.join(root, batch)
        let triggerPath = Self.join(remote, trigger)
        var receipt = Receipt(folder: remote, filesSent: 0, bytesSent: 0, bytesKept: 0, alreadyDelivered: false)
        // Seen before anything else: a crash after the trigger was written and
        // before the store heard of it must not send the bundle twice.
        if try drop.size(of: triggerPath) != nil {
            receipt.alreadyDelivered = true
            return receipt
        }
        let files = try Self.files(of: folder)
        guard try drop.size(of: root) != nil else {
            throw DeliveryError(.missingFolder, "the drop folder \(root) does not exist at the destination")
        }
        try drop.makeFolder(remote)

        var plan: [(name: String, size: Int64, offset: Int64)] = []
        for (name, size) in files {
            let final = Self.join(remote, name)
            if let existing = try drop.size(of: final) {
                // Only a complete file is ever renamed to its final name, so a
                // final file of the right size is this bundle's, from an earlier attempt.
                guard existing == size else {
                    throw DeliveryError(.conflict, "\(final) already exists at the destination with \(existing) bytes, "
                                        + "not the \(size) of this bundle's \(name); Courrier does not overwrite it")
                }
                receipt.bytesKept += size
                observe(.keeping(file: name, size: size))
                continue
            }
            let partial = try drop.size(of: Self.join(remote, Self.partialName(name))) ?? 0
            plan.append((name, size, partial <= size ? partial : 0))
        }
        let needed = plan.reduce(Int64(0)) { $0 + $1.size - $1.offset }
        if let available = drop.availableBytes(at: remote), available < needed {
            throw DeliveryError(.noSpace, "the destination has \(Self.megabytes(available)) free at \(remote); "
                                + "bundle \(batch) needs \(Self.megabytes(needed))")
        }

        for (name, size, offset) in plan {
            let partial = Self.join(remote, Self.partialName(name))
            if offset > 0 {
                receipt.bytesKept += offset
                observe(.resuming(file: name, offset: offset, size: size))
            }
            try drop.upload(folder.appendingPathComponent(name), to: partial, from: offset)
            let written = try drop.size(of: partial)
            guard written == size else {
                throw DeliveryError(.transfer, "\(partial) holds \(written ?? 0) bytes after the upload, "
                                    + "the bundle's \(name) has \(size); it stays under its temporary name")
            }
            try drop.rename(partial, to: Self.join(remote, name))
            receipt.filesSent += 1
            receipt.bytesSent += size - offset
            observe(.sent(file: name, bytes: size - offset))
        }

        let partialTrigger = Self.join(remote, Self.partialName(trigger))
        try drop.write([], to: partialTrigger)
        try drop.rename(partialTrigger, to: triggerPath)
        guard try drop.size(of: triggerPath) != nil else {
            throw DeliveryError(.transfer, "\(triggerPath) was written but is not there; the bundle is not delivered")
        }
        return receipt
    }

    /// The files of a bundle in the order they are sent: the print files
    /// first, then the manifests, `SHA256SUMS` last. Hidden files are not part
    /// of a bundle.
    static func files(of folder: URL) throws(DeliveryError) -> [(name: String, size: Int64)] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        } catch {
            throw DeliveryError(.bundle, "cannot read the bundle folder \(folder.path): \(error.localizedDescription)")
        }
        var files: [(name: String, size: Int64)] = []
        for name in names where !name.hasPrefix(".") {
            var status = stat()
            guard stat(folder.appendingPathComponent(name).path, &status) == 0 else {
                throw DeliveryError(.bundle, "cannot read \(folder.appendingPathComponent(name).path): \(String(cString: strerror(errno)))")
            }
            guard (status.st_mode & S_IFMT) == S_IFREG else { continue }
            files.append((name, Int64(status.st_size)))
        }
        guard !files.isEmpty else { throw DeliveryError(.bundle, "the bundle folder \(folder.path) holds no files") }
        func rank(_ name: String) -> Int {
            name.hasSuffix(".pdf") ? 0 : name == "SHA256SUMS" ? 2 : 1
        }
        return files.sorted { (rank($0.name), $0.name) < (rank($1.name), $1.name) }
    }

    static func join(_ folder: String, _ name: String) -> String {
        folder.hasSuffix("/") ? folder + name : folder + "/" + name
    }

    /// A size as people read it: `12.4 MiB`.
    public static func megabytes(_ bytes: Int64) -> String {
        let tenths = (bytes * 10 + 524_288) / 1_048_576
        return "\(tenths / 10).\(tenths % 10) MiB"
    }
}
