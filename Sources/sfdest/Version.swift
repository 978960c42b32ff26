/// The release this binary is, printed by `sfdest --version` and written into every `send` report.
enum SfdestVersion {
    static let current = "0.3.0"
}
