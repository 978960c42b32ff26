import JSONCore

/// ISO-8601 timestamps as Salesforce writes them (`2026-11-23T03:28:53+00:00`), from and to Unix seconds.
///
/// Hand-written (days-from-civil, after H. Hinnant's public-domain algorithms) rather than through
/// Foundation's formatters: it is locale-free, allocation-light, and a 1M-prospect state dump formats
/// three timestamps per prospect.
package enum Timestamp {
    /// Formats whole seconds with a `±HH:MM` offset (`+00:00` for UTC).
    package static func format(_ epochSeconds: Int, offsetMinutes: Int = 0) -> String {
        let local = epochSeconds + offsetMinutes * 60
        let days = floorDivide(local, 86_400)
        let secondsOfDay = local - days * 86_400
        let (year, month, day) = civil(fromDays: days)
        let sign = offsetMinutes < 0 ? "-" : "+"
        let offset = abs(offsetMinutes)
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondsOfDay / 3600, 2)):"
            + "\(pad(secondsOfDay / 60 % 60, 2)):\(pad(secondsOfDay % 60, 2))\(sign)\(pad(offset / 60, 2)):\(pad(offset % 60, 2))"
    }

    /// Appends `format(epochSeconds)` as a JSON string (in quotes) without building the String: a state export
    /// writes three per prospect.
    package static func writeQuoted(_ epochSeconds: Int, into output: inout [UInt8]) {
        let days = floorDivide(epochSeconds, 86_400)
        let secondsOfDay = epochSeconds - days * 86_400
        let (year, month, day) = civil(fromDays: days)
        guard (0...9999).contains(year) else {
            // Beyond four digits `format` pads differently; such times are rare enough to take the slow way.
            JSONWriter.writeString(format(epochSeconds), into: &output)
            return
        }
        func two(_ value: Int) {
            output.append(UInt8(truncatingIfNeeded: 0x30 + value / 10))
            output.append(UInt8(truncatingIfNeeded: 0x30 + value % 10))
        }
        output.append(UInt8(ascii: "\""))
        two(year / 100)
        two(year % 100)
        output.append(UInt8(ascii: "-"))
        two(month)
        output.append(UInt8(ascii: "-"))
        two(day)
        output.append(UInt8(ascii: "T"))
        two(secondsOfDay / 3600)
        output.append(UInt8(ascii: ":"))
        two(secondsOfDay / 60 % 60)
        output.append(UInt8(ascii: ":"))
        two(secondsOfDay % 60)
        output.append(contentsOf: "+00:00\"".utf8)
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM)`; fractional seconds are dropped. Nil when malformed.
    package static func parse(_ text: String) -> Int? {
        // Over the string's own bytes: a state load parses three per prospect, and copying each into an array
        // was a good part of it.
        var text = text
        return text.withUTF8 { parse(utf8: $0) }
    }

    /// ``parse(_:)`` over UTF-8 bytes.
    static func parse(utf8 bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        guard bytes.count >= 20, bytes[4] == 0x2D, bytes[7] == 0x2D, bytes[10] == 0x54 || bytes[10] == 0x20,
            bytes[13] == 0x3A, bytes[16] == 0x3A,
            let year = number(bytes, 0, 4), let month = number(bytes, 5, 2), let day = number(bytes, 8, 2),
            let hour = number(bytes, 11, 2), let minute = number(bytes, 14, 2), let second = number(bytes, 17, 2),
            (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day), hour < 24, minute < 60,
            second < 61
        else { return nil }
        var index = 19
        if index < bytes.count, bytes[index] == 0x2E {
            index += 1
            while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 { index += 1 }
        }
        guard index < bytes.count else { return nil }
        var offsetSeconds = 0
        if bytes[index] == 0x5A {
            index += 1
        } else if bytes[index] == 0x2B || bytes[index] == 0x2D {
            guard index + 6 == bytes.count, bytes[index + 3] == 0x3A, let hours = number(bytes, index + 1, 2),
                let minutes = number(bytes, index + 4, 2)
            else { return nil }
            offsetSeconds = (hours * 3600 + minutes * 60) * (bytes[index] == 0x2D ? -1 : 1)
            index += 6
        } else {
            return nil
        }
        guard index == bytes.count else { return nil }
        return days(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
    }

    /// Parses a calendar date `YYYY-MM-DD` (Pardot date custom fields). Nil when malformed.
    package static func isValidDate(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 10, bytes[4] == 0x2D, bytes[7] == 0x2D, let year = number(bytes, 0, 4),
            let month = number(bytes, 5, 2), let day = number(bytes, 8, 2), (1...12).contains(month)
        else { return false }
        return (1...daysIn(month: month, year: year)).contains(day)
    }

    /// The day number (days since 1970-01-01) of an instant in a zone `offsetMinutes` east of UTC.
    package static func dayNumber(_ epochSeconds: Int, offsetMinutes: Int) -> Int {
        floorDivide(epochSeconds + offsetMinutes * 60, 86_400)
    }

    /// `YYYY-MM-DD` for a day number.
    package static func formatDay(_ dayNumber: Int) -> String {
        let (year, month, day) = civil(fromDays: dayNumber)
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }

    /// The day number of `YYYY-MM-DD`.
    package static func parseDay(_ text: String) -> Int? {
        guard isValidDate(text) else { return nil }
        let bytes = Array(text.utf8)
        return days(year: number(bytes, 0, 4)!, month: number(bytes, 5, 2)!, day: number(bytes, 8, 2)!)
    }

    private static func number<Bytes: RandomAccessCollection<UInt8>>(_ bytes: Bytes, _ start: Int, _ count: Int) -> Int?
    where Bytes.Index == Int {
        guard start + count <= bytes.count else { return nil }
        var value = 0
        for byte in bytes[start..<start + count] {
            guard byte >= 0x30, byte <= 0x39 else { return nil }
            value = value * 10 + Int(byte - 0x30)
        }
        return value
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }

    private static func floorDivide(_ a: Int, _ b: Int) -> Int {
        a >= 0 ? a / b : -((-a + b - 1) / b)
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    private static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = floorDivide(y, 400)
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    private static func civil(fromDays days: Int) -> (Int, Int, Int) {
        let z = days + 719_468
        let era = floorDivide(z, 146_097)
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
