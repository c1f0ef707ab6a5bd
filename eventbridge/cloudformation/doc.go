// Package cloudformation renders the AWS side of a Security Hub (OCSF)
// findings integration as one CloudFormation template: the manual console
// steps of a guide such as autobotAI's "Security Hub (OCSF) Integration"
// become one stack.
//
//	cfg := cloudformation.Config{
//		Endpoint: "https://listener.example.com/hooks/securityhub",
//		Auth:     cloudformation.Auth{Secret: cloudformation.SecretParameter()},
//		Pattern:  json.RawMessage(pattern), // e.g. the eventbridge package's builder output
//	}
//	err := cloudformation.WriteTemplate(os.Stdout, cfg)
//
// # The stack
//
//   - AWS::Events::Connection: API_KEY (header default "x-secret-key"), BASIC,
//     or OAUTH_CLIENT_CREDENTIALS (token endpoint, method, client ID and
//     secret, grant_type and scopes as body or query parameters).
//   - AWS::Events::ApiDestination: POST to the https:// endpoint, invocation
//     rate limit default 300 per second.
//   - AWS::IAM::Role: trusted by events.amazonaws.com, allowed only
//     events:InvokeApiDestination on that destination's ARN.
//   - AWS::SQS::Queue: the dead-letter queue (14 days, SSE-SQS).
//   - AWS::Events::Rule: the event pattern on the default bus, one target with
//     the role, a RetryPolicy (default 185 attempts / 24 hours), the
//     dead-letter queue and an Idempotency-Key header.
//   - AWS::SQS::QueuePolicy: events.amazonaws.com may sqs:SendMessage only
//     when aws:SourceArn is the rule's ARN.
//   - Outputs: the rule, destination, connection and connection-secret ARNs,
//     the role ARN, the dead-letter queue URL and ARN, the API-key header.
//
// Secrets never appear in a [Config] or in the template: each credential is
// a NoEcho parameter without default, or a Secrets Manager dynamic reference
// ({{resolve:secretsmanager:...}}) that CloudFormation resolves at deploy
// time. Either way EventBridge copies the value into a secret it manages
// (output ConnectionSecretArn).
//
// # Output
//
// Templates are built as typed values ([Template], [Parameter], [Resource]
// with typed [Properties] such as [Rule], [Output], and the intrinsics [Ref],
// [GetAtt], [Sub], [Join], [If]) and encoded through YAML node trees: keys
// in a fixed order, intrinsics in short form (!Ref, !GetAtt, !Sub), and a
// comment above each resource. Rendering is deterministic.
//
// The event pattern becomes a YAML mapping when that carries it exactly, and
// a JSON string otherwise: EventBridge compares numbers by their text, and
// CloudFormation's YAML 1.1 reading turns 3.0e2 into a string and may write
// 7.50 back as 7.5, so any number but a short integer forces the string form,
// as does an object whose only key is "Ref" or "Fn::..." (an intrinsic to
// CloudFormation).
//
// # The Idempotency-Key header
//
// Target header values are not necessarily static. The AWS serverless
// pattern "Idempotent HTTP requests with Amazon EventBridge API Destinations"
// (aws-samples/serverless-patterns, eventbridge-api-destinations-idempotency-cdk)
// sets HeaderParameters {"Idempotency-Key": "$.detail.customID"} on an API
// destination target and shows the resolved value arriving; its README says
// to use "$.id" for the event id. The 2023 EventBridge guide's API Gateway
// page still says dynamic JSON paths are "only supported for API Gateway
// target invocations", and the CloudFormation schema cannot tell. An
// InputTransformer is no alternative: it rewrites the body, never headers.
// The template therefore sets "Idempotency-Key: $.id" (disable it with
// [Config.NoIdempotencyHeader]), and receivers should dedupe on the body's
// "id" (the same value) when the header is absent or holds the literal
// "$.id".
//
// # Delegated administrator and home Region
//
// With Security Hub cross-Region aggregation (the V2 API's CreateAggregatorV2
// with a RegionLinkingMode and LinkedRegions), the aggregation ("home")
// Region of the delegated administrator account receives the findings of
// every member account and every linked Region, and its default event bus
// emits them as "Findings Imported V2" events. One rule there therefore
// serves the whole organization; copies in member accounts or linked Regions
// deliver duplicates. [Config.HomeRegion] renders that stack: a condition
// enables the rule only in the home Region (and, if given, only in the
// administrator account), so that a StackSets roll-out elsewhere creates it
// DISABLED (output HomeRegionCheck). In the home Region the envelope's
// "account" and "region" are the event's, which can differ from the
// finding's, so top-level account/region filters are rejected
// ([ErrEnvelopeFilter]): filter detail.findings.cloud.account.uid and
// detail.findings.cloud.region instead.
//
// # The autobotAI guide
//
// [AutobotAINames] reproduces the guide's names (connection
// autobotAI-security-hub-listener-connection, destination
// autobotAI-security-hub-listener-webhook, role and policy
// autobotAI_EventBridge_Invoke_Api_Destination[_Policy], rule
// autobotAI-Security-Hub-Findings, parameters APIEndPoint, APIKeyName,
// APIKeyValue) and [Config.OwnAccountOnly] its account filter. The guide's
// detail-type "Security Hub Findings Imported V2" matches nothing AWS sends;
// the value is "Findings Imported V2", and a pattern with the guide's value is
// rejected ([ErrWrongDetailType]).
//
// # Validation
//
// [Config.Validate] (called by [WriteTemplate] and [Build]) reports every
// problem at once as a [*ConfigError] of [*FieldError]s, each wrapping a
// sentinel: a non-https endpoint ([ErrNotHTTPS]), a missing secret source
// ([ErrMissingSecret]), a retry policy out of range ([ErrOutOfRange]), a
// pattern above 4,096 characters ([ErrPatternTooLarge]; above 2,048 is a
// warning, logged and written into the template), an invalid or
// EventBridge-controlled header name ([ErrInvalidHeaderName]), and more.
// The package tests parse every rendered template back and validate each
// resource's Properties against the CloudFormation registry schemas; users
// can additionally run cfn-lint on the output.
package cloudformation
