package cloudformation

// The typed properties of the resource types the receiving stack uses. Field
// names follow the CloudFormation registry schemas (AWS::Events::Connection,
// AWS::Events::ApiDestination, AWS::Events::Rule, AWS::IAM::Role,
// AWS::SQS::Queue, AWS::SQS::QueuePolicy); the `cfn` tag is the property name
// and fields render in declaration order. Read-only attributes (Arn,
// SecretArn, QueueUrl, ...) are not properties: reach them with [GetAtt].

// Connection is AWS::Events::Connection: how EventBridge authenticates to an
// API destination. Ref returns the name; GetAtt Arn, ArnForPolicy, SecretArn.
// The type is not taggable.
type Connection struct {
	Name              Expr                      `cfn:"Name"`
	Description       Expr                      `cfn:"Description"`
	AuthorizationType Expr                      `cfn:"AuthorizationType"` // API_KEY, BASIC, OAUTH_CLIENT_CREDENTIALS
	AuthParameters    *ConnectionAuthParameters `cfn:"AuthParameters"`
	KmsKeyIdentifier  Expr                      `cfn:"KmsKeyIdentifier"`
}

// ResourceType implements [Properties].
func (Connection) ResourceType() string { return "AWS::Events::Connection" }

// ConnectionAuthParameters holds exactly one of the three auth kinds, plus
// optional parameters sent on every invocation.
type ConnectionAuthParameters struct {
	APIKeyAuthParameters     *APIKeyAuthParameters     `cfn:"ApiKeyAuthParameters"`
	BasicAuthParameters      *BasicAuthParameters      `cfn:"BasicAuthParameters"`
	OAuthParameters          *OAuthParameters          `cfn:"OAuthParameters"`
	InvocationHTTPParameters *ConnectionHTTPParameters `cfn:"InvocationHttpParameters"`
}

// APIKeyAuthParameters sends the header APIKeyName: APIKeyValue.
type APIKeyAuthParameters struct {
	APIKeyName  Expr `cfn:"ApiKeyName"`
	APIKeyValue Expr `cfn:"ApiKeyValue"`
}

// BasicAuthParameters sends Authorization: Basic base64(Username:Password).
type BasicAuthParameters struct {
	Username Expr `cfn:"Username"`
	Password Expr `cfn:"Password"`
}

// OAuthParameters exchanges client credentials for a bearer token.
type OAuthParameters struct {
	AuthorizationEndpoint Expr                      `cfn:"AuthorizationEndpoint"`
	HTTPMethod            Expr                      `cfn:"HttpMethod"` // GET, POST, PUT
	ClientParameters      *OAuthClientParameters    `cfn:"ClientParameters"`
	OAuthHTTPParameters   *ConnectionHTTPParameters `cfn:"OAuthHttpParameters"`
}

// OAuthClientParameters are the client credentials. Note the schema's
// capital "ClientID".
type OAuthClientParameters struct {
	ClientID     Expr `cfn:"ClientID"`
	ClientSecret Expr `cfn:"ClientSecret"`
}

// ConnectionHTTPParameters are extra header, query-string and body
// parameters (at most 100 of each).
type ConnectionHTTPParameters struct {
	HeaderParameters      []ConnectionParameter `cfn:"HeaderParameters"`
	QueryStringParameters []ConnectionParameter `cfn:"QueryStringParameters"`
	BodyParameters        []ConnectionParameter `cfn:"BodyParameters"`
}

// ConnectionParameter is one key/value; IsValueSecret defaults to true.
type ConnectionParameter struct {
	Key           Expr `cfn:"Key"`
	Value         Expr `cfn:"Value"`
	IsValueSecret Expr `cfn:"IsValueSecret"`
}

// APIDestination is AWS::Events::ApiDestination: the HTTP endpoint. Ref
// returns the name; GetAtt Arn, ArnForPolicy. The type is not taggable.
type APIDestination struct {
	Name                         Expr `cfn:"Name"`
	Description                  Expr `cfn:"Description"`
	ConnectionArn                Expr `cfn:"ConnectionArn"` // GetAtt Connection.Arn (the full ARN)
	InvocationEndpoint           Expr `cfn:"InvocationEndpoint"`
	HTTPMethod                   Expr `cfn:"HttpMethod"`
	InvocationRateLimitPerSecond Expr `cfn:"InvocationRateLimitPerSecond"`
}

// ResourceType implements [Properties].
func (APIDestination) ResourceType() string { return "AWS::Events::ApiDestination" }

// Rule is AWS::Events::Rule. Use GetAtt Arn for its ARN (Ref's meaning has
// changed between schema versions).
type Rule struct {
	Name         Expr     `cfn:"Name"`
	Description  Expr     `cfn:"Description"`
	EventBusName Expr     `cfn:"EventBusName"` // omit for the default bus
	EventPattern Expr     `cfn:"EventPattern"` // JSON object or JSON string
	State        Expr     `cfn:"State"`        // ENABLED, DISABLED
	Targets      []Target `cfn:"Targets"`
	Tags         []Tag    `cfn:"Tags"`
}

// ResourceType implements [Properties].
func (Rule) ResourceType() string { return "AWS::Events::Rule" }

// Target is one target of a [Rule].
type Target struct {
	ID               Expr              `cfn:"Id"`
	Arn              Expr              `cfn:"Arn"`
	RoleArn          Expr              `cfn:"RoleArn"`
	Input            Expr              `cfn:"Input"`
	InputPath        Expr              `cfn:"InputPath"`
	InputTransformer *InputTransformer `cfn:"InputTransformer"`
	HTTPParameters   *HTTPParameters   `cfn:"HttpParameters"`
	RetryPolicy      *TargetRetry      `cfn:"RetryPolicy"`
	DeadLetterConfig *DeadLetterConfig `cfn:"DeadLetterConfig"`
}

// InputTransformer rewrites the body sent to the target.
type InputTransformer struct {
	InputPathsMap map[string]Expr `cfn:"InputPathsMap"`
	InputTemplate Expr            `cfn:"InputTemplate"`
}

// HTTPParameters are per-target header, query-string and path values for
// API destinations. Values may be JSON paths into the event ("$.id"); see the
// package documentation.
type HTTPParameters struct {
	HeaderParameters      map[string]Expr `cfn:"HeaderParameters"`
	QueryStringParameters map[string]Expr `cfn:"QueryStringParameters"`
	PathParameterValues   []Expr          `cfn:"PathParameterValues"`
}

// TargetRetry is a target's RetryPolicy.
type TargetRetry struct {
	MaximumEventAgeInSeconds Expr `cfn:"MaximumEventAgeInSeconds"` // 60..86400
	MaximumRetryAttempts     Expr `cfn:"MaximumRetryAttempts"`     // 0..185
}

// DeadLetterConfig names the SQS queue that receives undeliverable events.
type DeadLetterConfig struct {
	Arn Expr `cfn:"Arn"`
}

// Tag is a resource tag.
type Tag struct {
	Key   Expr `cfn:"Key"`
	Value Expr `cfn:"Value"`
}

// Role is AWS::IAM::Role. Setting RoleName requires CAPABILITY_NAMED_IAM.
type Role struct {
	RoleName                 Expr            `cfn:"RoleName"`
	Description              Expr            `cfn:"Description"`
	Path                     Expr            `cfn:"Path"`
	AssumeRolePolicyDocument *PolicyDocument `cfn:"AssumeRolePolicyDocument"`
	Policies                 []InlinePolicy  `cfn:"Policies"`
	ManagedPolicyArns        []Expr          `cfn:"ManagedPolicyArns"`
	PermissionsBoundary      Expr            `cfn:"PermissionsBoundary"`
	MaxSessionDuration       Expr            `cfn:"MaxSessionDuration"`
	Tags                     []Tag           `cfn:"Tags"`
}

// ResourceType implements [Properties].
func (Role) ResourceType() string { return "AWS::IAM::Role" }

// InlinePolicy is an entry of [Role.Policies].
type InlinePolicy struct {
	PolicyName     Expr            `cfn:"PolicyName"`
	PolicyDocument *PolicyDocument `cfn:"PolicyDocument"`
}

// PolicyDocument is an IAM policy document.
type PolicyDocument struct {
	Version   Expr        `cfn:"Version"`
	Statement []Statement `cfn:"Statement"`
}

// Statement is one statement of a [PolicyDocument]. Condition maps an
// operator (StringEquals, ArnEquals, ...) to condition keys and values.
type Statement struct {
	Sid       Expr                       `cfn:"Sid"`
	Effect    Expr                       `cfn:"Effect"`
	Principal *Principal                 `cfn:"Principal"`
	Action    []Expr                     `cfn:"Action"`
	Resource  []Expr                     `cfn:"Resource"`
	Condition map[string]map[string]Expr `cfn:"Condition"`
}

// Principal is the Principal of a resource or trust policy statement.
type Principal struct {
	Service []Expr `cfn:"Service"`
	AWS     []Expr `cfn:"AWS"`
}

// Queue is AWS::SQS::Queue. Ref returns the queue URL; GetAtt Arn, QueueName.
type Queue struct {
	QueueName              Expr  `cfn:"QueueName"`
	MessageRetentionPeriod Expr  `cfn:"MessageRetentionPeriod"` // seconds, 60..1209600
	SqsManagedSseEnabled   Expr  `cfn:"SqsManagedSseEnabled"`
	KmsMasterKeyID         Expr  `cfn:"KmsMasterKeyId"`
	Tags                   []Tag `cfn:"Tags"`
}

// ResourceType implements [Properties].
func (Queue) ResourceType() string { return "AWS::SQS::Queue" }

// QueuePolicy is AWS::SQS::QueuePolicy. Queues takes queue URLs (Ref of a Queue).
type QueuePolicy struct {
	Queues         []Expr          `cfn:"Queues"`
	PolicyDocument *PolicyDocument `cfn:"PolicyDocument"`
}

// ResourceType implements [Properties].
func (QueuePolicy) ResourceType() string { return "AWS::SQS::QueuePolicy" }

// Compile-time checks that every type is a Properties.
var (
	_ Properties = Connection{}
	_ Properties = APIDestination{}
	_ Properties = Rule{}
	_ Properties = Role{}
	_ Properties = Queue{}
	_ Properties = QueuePolicy{}
)
