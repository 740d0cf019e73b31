/// `courrier completion bash`: a completion script for bash, made from the
/// command line's own lists of verbs and options, so that it cannot drift
/// from what the parser accepts.
enum BashCompletion {
    /// Each verb and the words that may follow it.
    static let verbs: KeyValuePairs<String, [String]> = [
        "enqueue": [], "run": [], "worker": [], "cut": [], "deliver": [], "render": [], "proof": [], "quote": [],
        "cancel": [], "wallet": ["credit", "balance", "history"], "account": ["window"], "status": [], "config": [],
        "purge": [], "version": [], "completion": ["bash"],
    ]

    /// The verbs whose arguments are document files.
    static let documentVerbs = ["enqueue", "render", "proof", "quote"]

    /// Options whose value is a file, a folder, or one of a few words.
    static let fileOptions = ["config", "tariff", "ssh-key", "known-hosts", "ssh-passphrase-file", "output", "metrics"]
    static let folderOptions = ["outbox"]
    static let choices: KeyValuePairs<String, [String]> = [
        "log-level": ["debug", "info", "warning", "error"], "log-format": ["json", "text"],
        "marks": ["none", "omr", "datamatrix", "omr+datamatrix"], "envelope": ["C5/6", "DL"],
        "cut-days": ["mon-fri", "all"],
    ]

    static var script: String {
        let options = (Arguments.valued.union(Arguments.flagNames)).sorted().map { "--\($0)" }.joined(separator: " ")
        let subverbs = verbs.filter { !$0.value.isEmpty }
            .map { "        \($0.key)) words=\"\($0.value.joined(separator: " "))\" ;;" }.joined(separator: "\n")
        let choiceCases = choices
            .map { "        --\($0.key)) COMPREPLY=($(compgen -W \"\($0.value.joined(separator: " "))\" -- \"$current\")); return ;;" }
            .joined(separator: "\n")
        return """
            # bash completion for courrier; `courrier completion bash` writes it.
            _courrier() {
                local current="${COMP_WORDS[COMP_CWORD]}" previous="${COMP_WORDS[COMP_CWORD-1]}"
                case "$previous" in
                    \(fileOptions.map { "--\($0)" }.joined(separator: "|"))) compopt -o filenames; COMPREPLY=($(compgen -f -- "$current")); return ;;
                    \(folderOptions.map { "--\($0)" }.joined(separator: "|"))) compopt -o filenames; COMPREPLY=($(compgen -d -- "$current")); return ;;
            \(choiceCases)
                esac
                if [[ "$current" == -* ]]; then
                    COMPREPLY=($(compgen -W "\(options)" -- "$current"))
                    return
                fi
                local verb="" index
                for ((index = 1; index < COMP_CWORD; index++)); do
                    [[ "${COMP_WORDS[index]}" != -* ]] && { verb="${COMP_WORDS[index]}"; break; }
                done
                if [[ -z "$verb" ]]; then
                    COMPREPLY=($(compgen -W "\(verbs.map(\.key).joined(separator: " "))" -- "$current"))
                    return
                fi
                local words=""
                case "$verb" in
            \(subverbs)
                    \(documentVerbs.joined(separator: "|"))) compopt -o filenames; COMPREPLY=($(compgen -f -X '!*.json' -- "$current") $(compgen -d -- "$current")); return ;;
                esac
                [[ "$previous" == "$verb" && -n "$words" ]] && COMPREPLY=($(compgen -W "$words" -- "$current"))
            }
            complete -F _courrier courrier

            """
    }
}
