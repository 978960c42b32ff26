/// A type that checks or completes the JSON it is decoded from before it is decoded (a state record lays it over
/// its defaults and refuses members it does not have). ``JSONValueDecoder`` hands it the value wherever it meets
/// the type, at the top of a document or nested in another type, so records nested in records are as strict.
package protocol JSONPreparedDecodable: Decodable {
    /// The value to decode instead of `value`; an error's path is relative to `value` (empty for the value itself).
    static func preparedForDecoding(_ value: JSONValue) throws(JSONSchemaError) -> JSONValue
}
