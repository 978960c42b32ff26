import Foundation

/// How goldens are written: never (CI), only missing ones, or every one that differs. A run that writes a
/// golden still fails, so that a person reviews it before it becomes a contract.
public enum RecordMode: String, Sendable, CaseIterable {
    /// `never` only reads goldens (CI); `missing` writes goldens that do not exist yet; `all` rewrites every golden
    /// that differs.
    case never, missing, all

    /// `SFDEST_UPDATE` (all | missing | never), overridden by `--update`; always `never` under CI.
    public static func resolve(flag: Bool, environment: [String: String] = ProcessInfo.processInfo.environment)
        -> RecordMode
    {
        if let ci = environment["CI"], !ci.isEmpty, ci != "false" { return .never }
        if flag { return .all }
        return environment["SFDEST_UPDATE"].flatMap(RecordMode.init(rawValue:)) ?? .never
    }
}
