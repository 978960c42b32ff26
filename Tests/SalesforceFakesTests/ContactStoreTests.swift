import JSONCore
import Testing

@testable import SalesforceFakes

/// Contacts in flat per-set tables: what goes in comes out as the state API shows it.
@Suite struct ContactStoreTests {
    static let sets = MarketingCloudAttributeSet.standard

    @Test func valuesComeBackPerSetAndUnwrittenSetsStayAbsent() {
        var store = ContactStore(sets: Self.sets)
        let row = store.append(key: "a@example.com", hash: "a@example.com".hashValue, contactID: 7)
        let addresses = store.position(ofSet: "Email Addresses")!
        store.setValue("a@example.com", row: row, set: addresses, attribute: 0)
        #expect(store.row(for: "a@example.com", hash: "a@example.com".hashValue) == row)
        #expect(store.contactID(ofRow: row) == 7)
        #expect(
            store.contact(ofRow: row)
                == MarketingCloudContact(
                    contactKey: "a@example.com", contactID: 7,
                    attributes: ["Email Addresses": ["Email Address": "a@example.com"]]))
    }

    /// A second contact with the same key replaces the first whole: values it does not carry are gone.
    @Test func upsertReplacesTheWholeContact() {
        var store = ContactStore(sets: Self.sets)
        store.upsert(
            MarketingCloudContact(
                contactKey: "k", contactID: 1,
                attributes: [
                    "Email Addresses": ["Email Address": "k@example.com", "HTML Enabled": true],
                    "Email Demographics": ["First Name": "Ana"],
                ]))
        store.upsert(
            MarketingCloudContact(
                contactKey: "k", contactID: 2, attributes: ["Email Demographics": ["First Name": "Bo"]]))
        #expect(store.count == 1)
        #expect(
            store.contactsByKey == [
                MarketingCloudContact(
                    contactKey: "k", contactID: 2, attributes: ["Email Demographics": ["First Name": "Bo"]])
            ])
    }

    @Test func manyContactsKeepTheirOwnValues() {
        var store = ContactStore(sets: Self.sets)
        store.reserveCapacity(10)
        let demographics = store.position(ofSet: "Email Demographics")!
        for index in 0..<5000 {
            let key = "user\(index)"
            let row = store.append(key: key, hash: key.hashValue, contactID: index)
            store.setValue(.string("F\(index)"), row: row, set: demographics, attribute: 0)
        }
        let all = store.contactsByKey
        #expect(all.count == 5000)
        #expect(all.allSatisfy { $0.attributes["Email Demographics"]?["First Name"] == .string("F\($0.contactID)") })
        #expect(all.map(\.contactKey) == all.map(\.contactKey).sorted())
    }
}
