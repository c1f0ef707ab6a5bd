package cloudformation

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"
)

// WriteTemplate validates cfg and writes the receiving stack's template as
// YAML to w. Invalid configurations return a [*ConfigError] listing every
// problem; nothing is written then.
func WriteTemplate(w io.Writer, cfg Config, opts ...func(*Options)) error {
	t, err := Build(cfg, opts...)
	if err != nil {
		return err
	}
	return t.WriteYAML(w)
}

// Build validates cfg and returns the template model of the receiving stack,
// for callers that want to add to it before [Template.WriteYAML].
func Build(cfg Config, opts ...func(*Options)) (*Template, error) {
	o := applyOptions(opts)
	r, err := cfg.resolve()
	if err != nil {
		return nil, err
	}
	for _, w := range r.warnings {
		o.Logger.Warn("cloudformation: " + w)
	}
	return r.template(), nil
}

func (r *resolved) template() *Template {
	t := &Template{Description: r.description(), Comment: r.comment()}
	n := r.names
	a := r.Auth

	// Parameters.
	endpoint := Expr(Str(r.Endpoint))
	if r.Endpoint == "" {
		endpoint = Ref(n.EndpointParameter)
		t.Parameters = append(t.Parameters, Parameter{
			Name:                  n.EndpointParameter,
			Description:           "HTTPS URL of the receiver that EventBridge POSTs each finding event to (for autobotAI: the listener URL).",
			AllowedPattern:        `^https://[^\s]+$`,
			MaxLength:             new(2048),
			ConstraintDescription: "must be an https:// URL",
		})
	}
	if a.Type == AuthAPIKey {
		t.Parameters = append(t.Parameters, Parameter{
			Name:                  n.HeaderNameParameter,
			Description:           "Name of the HTTP header that carries the API key.",
			Default:               Str(r.headerName),
			AllowedPattern:        "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$",
			MaxLength:             new(512),
			ConstraintDescription: "must be an HTTP header name",
		})
	}
	if a.Type == AuthBasic && a.Username == "" {
		t.Parameters = append(t.Parameters, Parameter{
			Name:                  n.UsernameParameter,
			Description:           "Basic authentication user name.",
			AllowedPattern:        `^[^:\x00-\x1F\x7F]+$`,
			MinLength:             new(1),
			MaxLength:             new(512),
			ConstraintDescription: "1-512 characters without ':' or control characters",
		})
	}
	if a.Type == AuthOAuthClientCredentials && a.ClientID == "" {
		t.Parameters = append(t.Parameters, Parameter{
			Name:        n.ClientIDParameter,
			Description: "OAuth client ID.",
			MinLength:   new(1),
			MaxLength:   new(512),
		})
	}
	var secret Expr
	if a.Secret.Parameter {
		what := map[AuthType]string{AuthAPIKey: "API key value", AuthBasic: "Basic authentication password", AuthOAuthClientCredentials: "OAuth client secret"}[a.Type]
		t.Parameters = append(t.Parameters, Parameter{
			Name:        n.SecretParameter,
			Description: what + " (NoEcho). EventBridge keeps it in a Secrets Manager secret it manages; see the ConnectionSecretArn output.",
			NoEcho:      true,
			MinLength:   new(1),
			MaxLength:   new(512),
		})
		secret = Ref(n.SecretParameter)
	} else {
		secret = DynamicSecret{SecretID: a.Secret.SecretsManagerID, JSONKey: a.Secret.JSONKey}
	}

	// Conditions.
	state := Expr(Str("ENABLED"))
	if h := r.HomeRegion; h != nil {
		cond := Expr(Equals{Region, Str(h.Region)})
		if h.AdministratorAccountID != "" {
			cond = And{cond, Equals{AccountID, Str(h.AdministratorAccountID)}}
		}
		t.Conditions = append(t.Conditions, Condition{Name: idInHome, Expr: cond})
		state = If{Condition: idInHome, Then: Str("ENABLED"), Else: Str("DISABLED")}
	}

	tags := r.tags()

	// Connection.
	conn := Connection{
		Name:              optStr(n.Connection),
		Description:       Str("Authenticates EventBridge to the Security Hub findings receiver"),
		AuthorizationType: Str(a.Type.String()),
		AuthParameters:    &ConnectionAuthParameters{},
	}
	var connComment string
	switch a.Type {
	case AuthAPIKey:
		conn.AuthParameters.APIKeyAuthParameters = &APIKeyAuthParameters{APIKeyName: Ref(n.HeaderNameParameter), APIKeyValue: secret}
		connComment = "sends the API key in the header named by " + n.HeaderNameParameter + " (default " + r.headerName + ")"
	case AuthBasic:
		user := Expr(Str(a.Username))
		if a.Username == "" {
			user = Ref(n.UsernameParameter)
		}
		conn.AuthParameters.BasicAuthParameters = &BasicAuthParameters{Username: user, Password: secret}
		connComment = "sends Authorization: Basic with the user name and password"
	case AuthOAuthClientCredentials:
		id := Expr(Str(a.ClientID))
		if a.ClientID == "" {
			id = Ref(n.ClientIDParameter)
		}
		method := a.TokenMethod
		if method == "" {
			method = DefaultTokenMethod
		}
		params := []ConnectionParameter{{Key: Str("grant_type"), Value: Str("client_credentials"), IsValueSecret: Bool(false)}}
		if len(a.Scopes) > 0 {
			params = append(params, ConnectionParameter{Key: Str("scope"), Value: Str(strings.Join(a.Scopes, " ")), IsValueSecret: Bool(false)})
		}
		for _, k := range slices.Sorted(maps.Keys(a.TokenParameters)) {
			params = append(params, ConnectionParameter{Key: Str(k), Value: Str(a.TokenParameters[k]), IsValueSecret: Bool(false)})
		}
		hp := &ConnectionHTTPParameters{BodyParameters: params}
		where := "body"
		if a.TokenParamsInQuery {
			hp = &ConnectionHTTPParameters{QueryStringParameters: params}
			where = "query string"
		}
		conn.AuthParameters.OAuthParameters = &OAuthParameters{
			AuthorizationEndpoint: Str(a.TokenEndpoint),
			HTTPMethod:            Str(method),
			ClientParameters:      &OAuthClientParameters{ClientID: id, ClientSecret: secret},
			OAuthHTTPParameters:   hp,
		}
		connComment = "gets a bearer token from the token endpoint (client credentials;\ngrant_type and scope in the " + where +
			") and sends Authorization: Bearer; a 401 or 407 answer makes it refresh the token"
	}
	src := "a NoEcho parameter"
	if !a.Secret.Parameter {
		src = "a Secrets Manager dynamic reference, resolved at deploy time"
	}
	t.Resources = append(t.Resources, Resource{
		LogicalID: idConnection,
		Comment: "How EventBridge authenticates to the receiver: it " + connComment + ".\n" +
			"The credential comes from " + src + "; EventBridge copies it into a secret it manages (output ConnectionSecretArn).",
		Properties: conn,
	})

	// API destination.
	t.Resources = append(t.Resources, Resource{
		LogicalID: idDestination,
		Comment: fmt.Sprintf("The HTTPS endpoint that receives each finding event as a POST, at most %d requests per second\n"+
			"(events above the rate wait; they are not dropped). EventBridge times out a request after 5 seconds.", r.rate),
		Properties: APIDestination{
			Name:                         optStr(n.APIDestination),
			Description:                  Str("Security Hub (OCSF) findings receiver"),
			ConnectionArn:                GetAtt{idConnection, "Arn"},
			InvocationEndpoint:           endpoint,
			HTTPMethod:                   Str("POST"),
			InvocationRateLimitPerSecond: Int(r.rate),
		},
	})

	// Role.
	t.Resources = append(t.Resources, Resource{
		LogicalID: idRole,
		Comment:   "Assumed by EventBridge to call the API destination: events:InvokeApiDestination on it, nothing else.",
		Properties: Role{
			RoleName:    optStr(n.Role),
			Description: Str("Lets EventBridge invoke the Security Hub findings API destination"),
			AssumeRolePolicyDocument: &PolicyDocument{
				Version: Str("2012-10-17"),
				Statement: []Statement{{
					Effect:    Str("Allow"),
					Principal: &Principal{Service: []Expr{Str("events.amazonaws.com")}},
					Action:    []Expr{Str("sts:AssumeRole")},
				}},
			},
			Policies: []InlinePolicy{{
				PolicyName: Str(n.RolePolicy),
				PolicyDocument: &PolicyDocument{
					Version: Str("2012-10-17"),
					Statement: []Statement{{
						Effect:   Str("Allow"),
						Action:   []Expr{Str("events:InvokeApiDestination")},
						Resource: []Expr{GetAtt{idDestination, "Arn"}},
					}},
				},
			}},
			Tags: tags,
		},
	})

	// Dead-letter queue.
	t.Resources = append(t.Resources, Resource{
		LogicalID: idQueue,
		Comment: fmt.Sprintf("Events that fail for good (a non-retried status such as 400/403/404, or retries exhausted) are kept here\n"+
			"for %s, with RULE_ARN, ERROR_CODE, ERROR_MESSAGE and RETRY_ATTEMPTS message attributes.", humanDuration(r.retention)),
		Properties: Queue{
			QueueName:              optStr(n.DeadLetterQueue),
			MessageRetentionPeriod: Int(r.retention),
			SqsManagedSseEnabled:   Bool(true),
			Tags:                   tags,
		},
	})

	// Rule.
	headers := map[string]Expr{}
	if r.idemHeader != "" {
		headers[r.idemHeader] = Str("$.id")
	}
	for k, v := range r.Headers {
		headers[k] = Str(v)
	}
	target := Target{
		ID:      Str("SecurityHubFindingsReceiver"),
		Arn:     GetAtt{idDestination, "Arn"},
		RoleArn: GetAtt{idRole, "Arn"},
		RetryPolicy: &TargetRetry{
			MaximumEventAgeInSeconds: Int(r.ageSeconds),
			MaximumRetryAttempts:     Int(r.attempts),
		},
		DeadLetterConfig: &DeadLetterConfig{Arn: GetAtt{idQueue, "Arn"}},
	}
	if len(headers) > 0 {
		target.HTTPParameters = &HTTPParameters{HeaderParameters: headers}
	}
	t.Resources = append(t.Resources, Resource{
		LogicalID: idRule,
		Comment:   r.ruleComment(),
		Properties: Rule{
			Name:         optStr(n.Rule),
			Description:  Str("Security Hub (OCSF) findings to the receiver"),
			EventPattern: r.pattern.expr(),
			State:        state,
			Targets:      []Target{target},
			Tags:         tags,
		},
	})

	// Dead-letter queue policy.
	t.Resources = append(t.Resources, Resource{
		LogicalID: idQueuePolicy,
		Comment:   "Lets only this rule send to the dead-letter queue. CloudFormation does not add this for you;\nwithout it, undeliverable events are lost (InvocationsFailedToBeSentToDLQ).",
		Properties: QueuePolicy{
			Queues: []Expr{Ref(idQueue)},
			PolicyDocument: &PolicyDocument{
				Version: Str("2012-10-17"),
				Statement: []Statement{{
					Sid:       Str("FindingsRuleDeadLetters"),
					Effect:    Str("Allow"),
					Principal: &Principal{Service: []Expr{Str("events.amazonaws.com")}},
					Action:    []Expr{Str("sqs:SendMessage")},
					Resource:  []Expr{GetAtt{idQueue, "Arn"}},
					Condition: map[string]map[string]Expr{"ArnEquals": {"aws:SourceArn": GetAtt{idRule, "Arn"}}},
				}},
			},
		},
	})

	// Outputs.
	t.Outputs = []Output{
		{Name: "RuleArn", Description: "The EventBridge rule that forwards Security Hub findings.", Value: GetAtt{idRule, "Arn"}},
		{Name: "ApiDestinationArn", Description: "The API destination (the receiver's endpoint).", Value: GetAtt{idDestination, "Arn"}},
		{Name: "ConnectionArn", Description: "The connection holding the receiver's credential.", Value: GetAtt{idConnection, "Arn"}},
		{Name: "ConnectionSecretArn", Description: "Secrets Manager secret that EventBridge manages for the connection's credential (change the credential by updating the stack).", Value: GetAtt{idConnection, "SecretArn"}},
		{Name: "InvokeRoleArn", Description: "The role EventBridge assumes to invoke the API destination.", Value: GetAtt{idRole, "Arn"}},
		{Name: "DeadLetterQueueUrl", Description: "Queue of undeliverable events: inspect and redrive from here.", Value: Ref(idQueue)},
		{Name: "DeadLetterQueueArn", Description: "ARN of the dead-letter queue (for alarms on ApproximateNumberOfMessagesVisible).", Value: GetAtt{idQueue, "Arn"}},
	}
	if a.Type == AuthAPIKey {
		t.Outputs = append(t.Outputs, Output{Name: "ApiKeyHeader", Description: "The header the receiver must check for the API key.", Value: Ref(n.HeaderNameParameter)})
	}
	if h := r.HomeRegion; h != nil {
		where := h.Region
		if h.AdministratorAccountID != "" {
			where += " of account " + h.AdministratorAccountID
		}
		t.Outputs = append(t.Outputs, Output{
			Name:        "HomeRegionCheck",
			Description: "Whether this stack is in the delegated administrator's home Region, where the rule is enabled.",
			Value: If{Condition: idInHome,
				Then: Str("rule ENABLED: this is the home Region " + where),
				Else: Str("rule DISABLED: deploy this stack in the home Region " + where)},
		})
	}
	return t
}

func (r *resolved) description() string {
	if r.Description != "" {
		return r.Description
	}
	d := "Security Hub (OCSF) findings -> EventBridge rule -> API destination (" + r.Auth.Type.String() + ") -> HTTPS receiver, with retries and a dead-letter queue."
	if h := r.HomeRegion; h != nil {
		d += " Delegated-administrator home Region " + h.Region + ": one rule for every member account and linked Region."
	}
	return d
}

func (r *resolved) comment() string {
	var lines []string
	lines = append(lines,
		"Receiving stack for AWS Security Hub (OCSF) findings delivered by EventBridge.",
		"Rendered by github.com/ocsfhub/ocsfhub/eventbridge/cloudformation; edit the Go config, not this file.")
	capability := "CAPABILITY_IAM"
	if r.names.Role != "" {
		capability = "CAPABILITY_NAMED_IAM (the role has a fixed name)"
	}
	lines = append(lines, "Deploy with "+capability+".")
	var params []string
	if r.Endpoint == "" {
		params = append(params, r.names.EndpointParameter)
	}
	if r.Auth.Type == AuthBasic && r.Auth.Username == "" {
		params = append(params, r.names.UsernameParameter)
	}
	if r.Auth.Type == AuthOAuthClientCredentials && r.Auth.ClientID == "" {
		params = append(params, r.names.ClientIDParameter)
	}
	if r.Auth.Secret.Parameter {
		params = append(params, r.names.SecretParameter+" (secret: type it in the console or pass it from a file, not on a command line)")
	}
	if len(params) > 0 {
		lines = append(lines, "Parameters to supply: "+strings.Join(params, ", ")+".")
	}
	if h := r.HomeRegion; h != nil {
		where := h.Region
		if h.AdministratorAccountID != "" {
			where += " of the delegated administrator account " + h.AdministratorAccountID
		}
		lines = append(lines,
			"Home-Region mode: deploy once, in "+where+".",
			"With Security Hub cross-Region aggregation, the home Region's default event bus receives the findings",
			"of every member account and every linked Region, so one rule serves the whole organization; per-account",
			"or per-Region copies would deliver duplicates. Elsewhere the rule is created DISABLED (output HomeRegionCheck).")
	}
	for _, w := range r.warnings {
		lines = append(lines, "WARNING: "+w)
	}
	return strings.Join(lines, "\n")
}

func (r *resolved) ruleComment() string {
	lines := []string{
		"Matches Security Hub (OCSF) finding events (detail-type \"Findings Imported V2\", one finding per event)",
		"and POSTs each event unchanged to the API destination.",
		fmt.Sprintf("Retries: at most %d attempts within %s (timeouts, 401, 407, 409, 429 and 5xx), then the dead-letter queue.",
			r.attempts, humanDuration(r.ageSeconds)),
	}
	if r.idemHeader != "" {
		lines = append(lines,
			r.idemHeader+": $.id asks EventBridge to put the event id in a header (a JSON path, resolved per event);",
			"the body's \"id\" is the same value: dedupe on it when the header is absent or holds the literal \"$.id\".")
	}
	if r.OwnAccountOnly {
		lines = append(lines, "The \"account\" filter keeps only events of the stack's own account, as the autobotAI guide's rule does.")
	}
	if h := r.HomeRegion; h != nil {
		lines = append(lines, "Enabled only in the home Region "+h.Region+"; account and Region filters, if any, are on detail.findings.cloud.")
	}
	if r.pattern.size > PatternSizeDefaultLimit {
		lines = append(lines, fmt.Sprintf("The pattern has %d characters: it needs the \"Event pattern size\" quota raised above %d.", r.pattern.size, PatternSizeDefaultLimit))
	}
	if !r.pattern.yamlSafe {
		lines = append(lines, "The pattern is a JSON string: it has numbers or keys that YAML would not carry exactly.")
	}
	return strings.Join(lines, "\n")
}

func (r *resolved) tags() []Tag {
	var out []Tag
	for _, k := range slices.Sorted(maps.Keys(r.Tags)) {
		out = append(out, Tag{Key: Str(k), Value: Str(r.Tags[k])})
	}
	return out
}

func optStr(s string) Expr {
	if s == "" {
		return nil
	}
	return Str(s)
}

func humanDuration(seconds int) string {
	d := time.Duration(seconds) * time.Second
	plural := func(n time.Duration, unit string) string {
		if n == 1 {
			return "1 " + unit
		}
		return fmt.Sprintf("%d %ss", n, unit)
	}
	switch {
	case d == 24*time.Hour:
		return "24 hours"
	case d%(24*time.Hour) == 0:
		return plural(d/(24*time.Hour), "day")
	case d%time.Hour == 0:
		return plural(d/time.Hour, "hour")
	case d%time.Minute == 0:
		return plural(d/time.Minute, "minute")
	}
	return plural(d/time.Second, "second")
}
