import ArgumentParser

@main
struct Sfdest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sfdest",
        abstract: "Deliver profiles to Salesforce Account Engagement and Marketing Cloud, and fake both APIs.",
        version: SfdestVersion.current,
        subcommands: [
            CheckCommand.self, SendCommand.self, CheckConfigCommand.self, DescribeCommand.self, FakeCommand.self,
            CompareCommand.self, StateCommand.self,
        ])
}
