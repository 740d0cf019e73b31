/// Hears how far a long step has gone: `run` and `cut` report each letter.
public protocol ProgressReporting: AnyObject {
    func start(_ phase: String, total: Int)
    func advance()
    func finish()
}
