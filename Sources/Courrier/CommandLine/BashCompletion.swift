/// `courrier completion bash`: a completion script for bash, made from the
/// command line's own lists of verbs and options, so that it cannot drift
/// from what the parser accepts.
enum BashCompletion {
    /// The words that may follow a verb.
    static let subverbs: KeyValuePairs<String, [String]> = [
        "wallet": ["credit", "balance", "history"], "account": ["window"], "completion": ["bash"],
        "help": CommandTable.verbs.map(\.name),
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
        // Each verb's own options, as the parser takes them for it.
        let options = CommandTable.verbs
            .map { verb in
                "            \(verb.name)) options=\"\(CommandTable.options(of: verb).sorted().map { "--\($0)" }.joined(separator: " "))\" ;;"
            }.joined(separator: "\n")
        let subverbs = subverbs
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
                local verb="" index
                for ((index = 1; index < COMP_CWORD; index++)); do
                    [[ "${COMP_WORDS[index]}" != -* ]] && { verb="${COMP_WORDS[index]}"; break; }
                done
                if [[ "$current" == -* ]]; then
                    local options="--help --version"
                    case "$verb" in
            \(options)
                    esac
                    COMPREPLY=($(compgen -W "$options" -- "$current"))
                    return
                fi
                if [[ -z "$verb" ]]; then
                    COMPREPLY=($(compgen -W "\(CommandTable.verbs.map(\.name).joined(separator: " "))" -- "$current"))
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
