import JSONCore

struct MarketingCloudEvent: Sendable, Equatable, StateRecord {
    var eventInstanceID: String
    var contactKey: String
    var eventDefinitionKey: String
    var data: JSONValue = [:]
    @StateTime var time = 0

    enum CodingKeys: String, CodingKey, CaseIterable {
        case eventInstanceID = "eventInstanceId"
        case contactKey, eventDefinitionKey, data, time
    }
    static let template = MarketingCloudEvent(eventInstanceID: "", contactKey: "", eventDefinitionKey: "")
    static let requiredKeys: [CodingKeys] = [.eventInstanceID, .contactKey, .eventDefinitionKey]
}
