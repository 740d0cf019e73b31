import Courrier
import Foundation

// The command line stays thin: everything it does is in CourrierCommand, where tests reach it.
let status = CourrierCommand(arguments: Array(CommandLine.arguments.dropFirst()),
                             environment: ProcessInfo.processInfo.environment).run()
exit(status)
