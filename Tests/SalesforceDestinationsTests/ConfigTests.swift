import Foundation
import SalesforceDestinations
import Testing

@Suite struct ConfigTests {
    static let valid = """
        destination: accountEngagement
        connection:
          environment: sandbox
          businessUnitId: 0Uv000000000001AAA
          auth:
            grant: password
            clientId: {env: SFDEST_CLIENT_ID}
            clientSecret: {env: SFDEST_CLIENT_SECRET}
            username: ops@example.com
            password: {file: /run/secrets/pw}
        action:
          type: upsertProspect
        mapping:
          email: identityMap.Email[0].id
        delivery:
          concurrency: 3
        """

    @Test func sandboxDefaultsAndSecretReferences() throws {
        let config = try DestinationConfig.parse(Self.valid)
        guard case .accountEngagement(let connection, let action) = config.target else {
            Issue.record("wrong target")
            return
        }
        #expect(connection.loginURL.absoluteString == "https://test.salesforce.com")
        #expect(connection.apiURL.absoluteString == "https://pi.demo.pardot.com")
        #expect(connection.clientSecret == .environment("SFDEST_CLIENT_SECRET"))
        #expect(connection.password == .file("/run/secrets/pw"))
        #expect(connection.username == .literal("ops@example.com"))
        #expect(action.secondaryDeletedSearch == true)
        #expect(config.delivery.concurrency == 3)
    }

    /// Every problem at once (issue 28): a misspelt key gets the key it meant, the other sections are still read
    /// and their problems named, and a mapping that looks keys up only when present still lists the known ones.
    @Test func everyProblemIsNamedInOnePass() throws {
        let broken =
            Self.valid
            .replacingOccurrences(of: "businessUnitId:", with: "busnessUnitId:")
            .replacingOccurrences(of: "concurrency: 3", with: "concurrency: 9")
            + "\nvalues: {foo: 1}\n"
        do {
            _ = try DestinationConfig.parse(broken, file: "sfdest.yaml")
            Issue.record("a broken config was accepted")
        } catch {
            let lines = error.all.map(\.description)
            #expect(
                lines.contains {
                    $0.contains(
                        "connection.businessUnitId: is required; found busnessUnitId: did you mean businessUnitId?")
                }, "\(lines)")
            #expect(lines.contains { $0.contains("delivery.concurrency: expected a number from 1 to 5") }, "\(lines)")
            #expect(
                lines.contains { $0.contains("values.foo: unknown key (known here: emptyStrings, nulls)") }, "\(lines)")
            #expect(lines.count >= 3)
            #expect(error.description.split(separator: "\n").count == lines.count)
        }
    }

    /// An unknown key that looks like a known one is named with it.
    @Test func aMisspeltOptionalKeyGetsTheKeyItMeant() throws {
        let broken = Self.valid.replacingOccurrences(of: "concurrency: 3", with: "concurency: 3")
        #expect {
            try DestinationConfig.parse(broken, file: "sfdest.yaml")
        } throws: { error in
            "\(error)".contains("delivery.concurency: unknown key; did you mean concurrency?")
        }
    }

    /// Each broken config names the file, the line and the key, and says what is expected.
    @Test(arguments: [
        (
            valid.replacingOccurrences(of: "grant: password", with: "grant: magic"),
            "sfdest.yaml:6: connection.auth.grant: expected one of password, client_credentials, refresh_token, found \"magic\""
        ),
        (
            valid.replacingOccurrences(of: "clientSecret: {env: SFDEST_CLIENT_SECRET}", with: "clientSecret: hunter2"),
            "sfdest.yaml:8: connection.auth.clientSecret: secrets cannot be written in the config: use {env: VARIABLE} or {file: PATH}"
        ),
        (
            valid.replacingOccurrences(of: "  type: upsertProspect", with: "  type: upsertProspect\n  colour: blue"),
            "sfdest.yaml:13: action.colour: unknown key (known here: checkEmailsLocally, import, importAbove, secondaryDeletedSearch, type)"
        ),
        (
            valid.replacingOccurrences(of: "concurrency: 3", with: "concurrency: 9"),
            "sfdest.yaml:16: delivery.concurrency: expected a number from 1 to 5"
        ),
        (
            valid.replacingOccurrences(of: "0Uv000000000001AAA", with: "0Uv1"),
            "sfdest.yaml:4: connection.businessUnitId: expected a business unit id"
        ),
        (
            valid.replacingOccurrences(of: "email: identityMap.Email[0].id", with: "firstName: a.b"),
            "mapping: email must be mapped"
        ),
        (
            valid.replacingOccurrences(of: "email: identityMap.Email[0].id", with: "email: a..b"),
            "sfdest.yaml:14: mapping.email: invalid path"
        ),
        (
            valid.replacingOccurrences(
                of: "environment: sandbox", with: "environment: sandbox\n  loginUrl: http://example.com"),
            "connection.loginUrl: plain http is only allowed to loopback hosts"
        ),
        (
            valid.replacingOccurrences(of: "grant: password", with: "grant: client_credentials"),
            "connection.loginUrl: the client_credentials grant needs your My Domain URL"
        ),
        (
            valid.replacingOccurrences(
                of: "destination: accountEngagement", with: "destination: accountEngagement\n  oops"), "sfdest.yaml"
        ),
        ("", "sfdest.yaml: the config is empty"),
    ])
    func errorsNameFileLineAndKey(text: String, expected: String) {
        do {
            _ = try DestinationConfig.parse(text, file: "sfdest.yaml")
            Issue.record("expected an error containing \(expected)")
        } catch {
            #expect(error.description.contains(expected), "\(error.description)")
        }
    }

    @Test func secretsResolveFromEnvironmentAndFilesWithoutEchoingValues() throws {
        #expect(try SecretReference.environment("X").resolve(environment: ["X": "s3cret"]) == "s3cret")
        do {
            _ = try SecretReference.environment("MISSING").resolve(environment: [:])
            Issue.record("expected an error")
        } catch {
            #expect("\(error)" == "environment variable MISSING is not set")
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("secret-\(UUID().uuidString)")
        try Data("from-file\n".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        #expect(try SecretReference.file(file.path).resolve() == "from-file")
        #expect(SecretReference.file(file.path).description == "file \(file.path)")
    }
}
