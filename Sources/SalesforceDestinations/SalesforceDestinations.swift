// The production client. Nothing here may know about the fakes: the same code talks to Salesforce.
