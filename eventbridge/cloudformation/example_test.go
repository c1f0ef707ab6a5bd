package cloudformation_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/ocsfhub/ocsfhub/eventbridge/cloudformation"
)

// A small template built from typed values: short-form intrinsics, a comment
// above the resource, and keys in a fixed order.
func ExampleTemplate_WriteYAML() {
	t := &cloudformation.Template{
		Description: "A dead-letter queue for EventBridge",
		Parameters: []cloudformation.Parameter{{
			Name: "RetentionSeconds", Type: "Number", Default: cloudformation.Int(1209600),
			MinValue: new(60), MaxValue: new(1209600),
		}},
		Resources: []cloudformation.Resource{{
			LogicalID: "Queue",
			Comment:   "Keeps events EventBridge could not deliver.",
			Properties: cloudformation.Queue{
				MessageRetentionPeriod: cloudformation.Ref("RetentionSeconds"),
				SqsManagedSseEnabled:   cloudformation.Bool(true),
				Tags:                   []cloudformation.Tag{{Key: cloudformation.Str("team"), Value: cloudformation.Str("security")}},
			},
		}},
		Outputs: []cloudformation.Output{
			{Name: "QueueArn", Value: cloudformation.GetAtt{Resource: "Queue", Attribute: "Arn"}},
			{Name: "QueueLabel", Value: cloudformation.Sub("${AWS::StackName}-${Queue.QueueName}")},
		},
	}
	if err := t.WriteYAML(os.Stdout); err != nil {
		fmt.Println(err)
	}
	// Output:
	// AWSTemplateFormatVersion: "2010-09-09"
	// Description: A dead-letter queue for EventBridge
	// Parameters:
	//   RetentionSeconds:
	//     Type: Number
	//     Default: 1209600
	//     MinValue: 60
	//     MaxValue: 1209600
	// Resources:
	//   # Keeps events EventBridge could not deliver.
	//   Queue:
	//     Type: AWS::SQS::Queue
	//     Properties:
	//       MessageRetentionPeriod: !Ref RetentionSeconds
	//       SqsManagedSseEnabled: true
	//       Tags:
	//         - Key: team
	//           Value: security
	// Outputs:
	//   QueueArn:
	//     Value: !GetAtt Queue.Arn
	//   QueueLabel:
	//     Value: !Sub ${AWS::StackName}-${Queue.QueueName}
}

// The whole receiving stack for an API-key receiver; here only the resource
// types are printed.
func ExampleWriteTemplate() {
	cfg := cloudformation.Config{
		Endpoint: "https://listener.example.com/hooks/securityhub",
		Auth:     cloudformation.Auth{Secret: cloudformation.SecretParameter()},
		Pattern: json.RawMessage(`{"source":["aws.securityhub"],"detail-type":["Findings Imported V2"],` +
			`"detail":{"findings":{"severity_id":[{"numeric":[">=",4]}]}}}`),
	}
	var buf bytes.Buffer
	if err := cloudformation.WriteTemplate(&buf, cfg); err != nil {
		fmt.Println(err)
		return
	}
	for line := range strings.Lines(buf.String()) {
		if strings.HasPrefix(line, "    Type: AWS::") {
			fmt.Print(strings.TrimSpace(line), "\n")
		}
	}
	// Output:
	// Type: AWS::Events::Connection
	// Type: AWS::Events::ApiDestination
	// Type: AWS::IAM::Role
	// Type: AWS::SQS::Queue
	// Type: AWS::Events::Rule
	// Type: AWS::SQS::QueuePolicy
}

// Build returns the model, to extend before rendering.
func ExampleBuild() {
	t, err := cloudformation.Build(cloudformation.Config{
		Auth: cloudformation.Auth{Secret: cloudformation.SecretsManager("receiver/api-key", "apiKey")},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	t.Outputs = append(t.Outputs, cloudformation.Output{
		Name: "StackRegion", Description: "Where the rule lives.", Value: cloudformation.Region,
	})
	fmt.Println(len(t.Resources), "resources,", len(t.Outputs), "outputs")
	var buf bytes.Buffer
	fmt.Println(t.WriteYAML(&buf), strings.Contains(buf.String(), "ApiKeyValue: '{{resolve:secretsmanager:receiver/api-key:SecretString:apiKey}}'"))
	// Output:
	// 6 resources, 9 outputs
	// <nil> true
}

// Invalid configurations list every problem, each with its field and a
// sentinel error.
func ExampleConfig_Validate() {
	cfg := cloudformation.Config{
		Endpoint: "http://listener.example.com/hooks",
		Retry:    cloudformation.RetryPolicy{MaximumRetryAttempts: new(200)},
		Pattern:  json.RawMessage(`{"source":["aws.securityhub"],"detail-type":["Security Hub Findings Imported V2"]}`),
	}
	err := cfg.Validate()
	var ce *cloudformation.ConfigError
	if errors.As(err, &ce) {
		for _, p := range ce.Problems {
			fmt.Println(p.Field)
		}
	}
	fmt.Println(errors.Is(err, cloudformation.ErrNotHTTPS), errors.Is(err, cloudformation.ErrMissingSecret))
	// Output:
	// Endpoint
	// Auth.Secret
	// Pattern
	// Retry.MaximumRetryAttempts
	// true true
}

// The autobotAI guide's names, for its listener's "Secret Key in Headers".
func ExampleAutobotAINames() {
	var buf bytes.Buffer
	err := cloudformation.WriteTemplate(&buf, cloudformation.Config{
		Names:          cloudformation.AutobotAINames(),
		OwnAccountOnly: true,
		Auth:           cloudformation.Auth{Secret: cloudformation.SecretParameter()},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for line := range strings.Lines(buf.String()) {
		if t := strings.TrimLeft(strings.TrimSpace(line), "- "); strings.HasPrefix(t, "Name: ") || strings.HasPrefix(t, "RoleName: ") ||
			strings.HasPrefix(t, "PolicyName: ") || strings.HasPrefix(t, "APIKeyName:") || strings.HasPrefix(t, "Default: ") {
			fmt.Println(t)
		}
	}
	// Output:
	// APIKeyName:
	// Default: x-secret-key
	// Name: autobotAI-security-hub-listener-connection
	// Name: autobotAI-security-hub-listener-webhook
	// RoleName: autobotAI_EventBridge_Invoke_Api_Destination
	// PolicyName: autobotAI_EventBridge_Invoke_Api_Destination_Policy
	// Name: autobotAI-Security-Hub-Findings
}

func ExampleParseAuthType() {
	a, err := cloudformation.ParseAuthType("oauth")
	fmt.Println(a, err)
	// Output: OAUTH_CLIENT_CREDENTIALS <nil>
}
