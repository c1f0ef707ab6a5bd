// The render-stack command prints the CloudFormation template of the stack
// that forwards AWS Security Hub (OCSF) findings to an HTTPS receiver: an
// EventBridge connection, API destination, rule (with retries, a dead-letter
// queue and its policy) and invocation role. With -pattern-only it prints
// just the event pattern, for the EventBridge console's custom-pattern box.
//
// Examples:
//
//	render-stack -endpoint https://listener.example.com/hooks/x > stack.yaml
//	render-stack -name-preset autobotai -own-account > autobotAI-Security-Hub-EventBridge.yml
//	render-stack -auth oauth -token-endpoint https://auth.example.com/token -scopes findings:write \
//	    -secret-arn receiver/oauth -secret-key client_secret -min-severity High -product GuardDuty
//	render-stack -home-region eu-west-1 -admin-account 111122223333 -account 444455556666
//	render-stack -pattern-only -min-severity High -class 2004
//
// Deploy the output with the AWS CLI (aws cloudformation deploy
// --capabilities CAPABILITY_IAM, or CAPABILITY_NAMED_IAM with -name-preset)
// or the console; the template's header lists the parameters to supply.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"

	"github.com/ocsfhub/ocsfhub/eventbridge"
	"github.com/ocsfhub/ocsfhub/eventbridge/cloudformation"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		var ce *cloudformation.ConfigError
		if errors.As(err, &ce) {
			fmt.Fprintln(os.Stderr, "render-stack: invalid configuration:")
			for _, p := range ce.Problems {
				fmt.Fprintln(os.Stderr, "  "+p.Error())
			}
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "render-stack:", err)
		if errors.Is(err, errUsage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

var errUsage = errors.New("usage")

// listFlag collects repeatable, comma-separated values.
type listFlag []string

// String implements flag.Value.
func (l *listFlag) String() string { return strings.Join(*l, ",") }

// Set implements flag.Value: it appends the comma-separated values.
func (l *listFlag) Set(v string) error {
	for p := range strings.SplitSeq(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*l = append(*l, p)
		}
	}
	return nil
}

// tagFlag collects repeatable key=value tags.
type tagFlag map[string]string

// String implements flag.Value.
func (t tagFlag) String() string { return fmt.Sprint(map[string]string(t)) }

// Set implements flag.Value: it adds one key=value tag.
func (t tagFlag) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || k == "" {
		return fmt.Errorf("tag %q is not key=value", v)
	}
	t[k] = val
	return nil
}

var severities = map[string]int{"informational": 1, "low": 2, "medium": 3, "high": 4, "critical": 5, "fatal": 6}

// run parses args and writes the template (or the pattern) to stdout;
// warnings and usage go to stderr.
func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("render-stack", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		endpoint      = fs.String("endpoint", "", "receiver `URL` (https); empty makes it a template parameter")
		auth          = fs.String("auth", "api-key", "connection auth: api-key, basic or oauth")
		header        = fs.String("header", "", "API-key header `name` (default x-secret-key)")
		secretARN     = fs.String("secret-arn", "", "Secrets Manager secret `name or ARN` holding the credential (default: a NoEcho parameter)")
		secretKey     = fs.String("secret-key", "", "JSON `key` of the credential inside -secret-arn")
		username      = fs.String("username", "", "basic auth user `name` (default: a parameter)")
		tokenEndpoint = fs.String("token-endpoint", "", "OAuth token endpoint `URL` (https)")
		tokenMethod   = fs.String("token-method", "", "OAuth token request `method`: GET, POST (default) or PUT")
		clientID      = fs.String("client-id", "", "OAuth client `ID` (default: a parameter)")
		tokenInQuery  = fs.Bool("token-params-in-query", false, "send grant_type and scope in the token request's query string, not its body")
		minSeverity   = fs.String("min-severity", "", "only findings at least this severe: Informational, Low, Medium, High, Critical, Fatal (or 1-6)")
		namePreset    = fs.String("name-preset", "", "resource names: autobotai (the autobotAI guide's), or empty for generated names")
		ownAccount    = fs.Bool("own-account", false, "only events of the stack's own account (the autobotAI guide's filter)")
		homeRegion    = fs.String("home-region", "", "delegated-administrator home (aggregation) `Region`: one rule for every account and linked Region")
		adminAccount  = fs.String("admin-account", "", "delegated administrator account `ID` (with -home-region)")
		rate          = fs.Int("rate", 0, "invocation rate limit per second (default 300)")
		retries       = fs.Int("retry-attempts", -1, "maximum retry attempts, 0-185; -1 keeps the default, 185")
		maxAge        = fs.Duration("max-event-age", 0, "maximum event age for retries, 1m-24h (default 24h)")
		noIdem        = fs.Bool("no-idempotency-header", false, "do not send the Idempotency-Key: $.id header")
		patternOnly   = fs.Bool("pattern-only", false, "print only the event pattern JSON (for the console's custom-pattern box)")
	)
	var products, classes, accounts, regions, statuses, resourceTypes, scopes listFlag
	tags := tagFlag{}
	fs.Var(&products, "product", "only findings of these products (metadata.product.name), e.g. GuardDuty; repeatable, comma-separated")
	fs.Var(&classes, "class", "only these OCSF classes: class_uid (2004) or class_name (\"Detection Finding\"); repeatable")
	fs.Var(&accounts, "account", "only findings of these accounts (cloud.account.uid); repeatable")
	fs.Var(&regions, "region", "only findings of these Regions (cloud.region); repeatable")
	fs.Var(&statuses, "status", "only findings with these statuses, e.g. New; repeatable")
	fs.Var(&resourceTypes, "resource-type", "only findings about these resource types, e.g. AWS::EC2::Instance; repeatable")
	fs.Var(&scopes, "scopes", "OAuth scopes; repeatable, comma-separated")
	fs.Var(tags, "tag", "`key=value` tag for the rule, role and queue; repeatable")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	}

	// The pattern, from the eventbridge package's Security Hub builder.
	rule := eventbridge.NewSecurityHubRule()
	if *minSeverity != "" {
		id, err := strconv.Atoi(*minSeverity)
		if err != nil {
			var ok bool
			if id, ok = severities[strings.ToLower(*minSeverity)]; !ok {
				return fmt.Errorf("%w: -min-severity %q is not a severity name or 1-6", errUsage, *minSeverity)
			}
		}
		rule.SeverityAtLeast(id)
	}
	if len(products) > 0 {
		rule.ProductName(products...)
	}
	var classUIDs []int
	var classNames []string
	for _, c := range classes {
		if n, err := strconv.Atoi(c); err == nil {
			classUIDs = append(classUIDs, n)
		} else {
			classNames = append(classNames, c)
		}
	}
	if len(classUIDs) > 0 && len(classNames) > 0 {
		return fmt.Errorf("%w: -class takes either class_uid numbers or class names, not both (they would have to match together)", errUsage)
	}
	if len(classUIDs) > 0 {
		rule.ClassUID(classUIDs...)
	}
	if len(classNames) > 0 {
		rule.ClassName(classNames...)
	}
	if len(accounts) > 0 {
		rule.AccountID(accounts...)
	}
	if len(regions) > 0 {
		rule.Region(regions...)
	}
	if len(statuses) > 0 {
		rule.Status(statuses...)
	}
	if len(resourceTypes) > 0 {
		rule.ResourceType(resourceTypes...)
	}
	pattern, err := rule.Pattern()
	if err != nil {
		return err
	}

	if *patternOnly {
		if *ownAccount {
			return fmt.Errorf("%w: -own-account needs the stack's account ID; with -pattern-only use -account", errUsage)
		}
		b, err := pattern.MarshalJSON()
		if err != nil {
			return err
		}
		var ind bytes.Buffer
		if err := json.Indent(&ind, b, "", "  "); err != nil {
			return err
		}
		ind.WriteByte('\n')
		_, err = stdout.Write(ind.Bytes())
		return err
	}

	authType, err := cloudformation.ParseAuthType(*auth)
	if err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	cfg := cloudformation.Config{
		Endpoint: *endpoint,
		Auth: cloudformation.Auth{
			Type:               authType,
			HeaderName:         *header,
			Username:           *username,
			TokenEndpoint:      *tokenEndpoint,
			TokenMethod:        strings.ToUpper(*tokenMethod),
			ClientID:           *clientID,
			Scopes:             scopes,
			TokenParamsInQuery: *tokenInQuery,
			Secret:             cloudformation.SecretParameter(),
		},
		Pattern:             pattern,
		OwnAccountOnly:      *ownAccount,
		RateLimitPerSecond:  *rate,
		Retry:               cloudformation.RetryPolicy{MaximumEventAge: *maxAge},
		NoIdempotencyHeader: *noIdem,
	}
	if *secretARN != "" {
		cfg.Auth.Secret = cloudformation.SecretsManager(*secretARN, *secretKey)
	} else if *secretKey != "" {
		return fmt.Errorf("%w: -secret-key needs -secret-arn", errUsage)
	}
	if *retries >= 0 {
		cfg.Retry.MaximumRetryAttempts = retries
	} else if *retries != -1 {
		return fmt.Errorf("%w: -retry-attempts %d: want 0-185", errUsage, *retries)
	}
	switch strings.ToLower(*namePreset) {
	case "":
	case "autobotai":
		cfg.Names = cloudformation.AutobotAINames()
	default:
		return fmt.Errorf("%w: -name-preset %q: want autobotai or nothing", errUsage, *namePreset)
	}
	if *homeRegion != "" {
		cfg.HomeRegion = &cloudformation.HomeRegion{Region: *homeRegion, AdministratorAccountID: *adminAccount}
	} else if *adminAccount != "" {
		return fmt.Errorf("%w: -admin-account needs -home-region", errUsage)
	}
	if len(tags) > 0 {
		cfg.Tags = tags
	}

	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{} // deterministic output
			}
			return a
		},
	}))
	return cloudformation.WriteTemplate(stdout, cfg, func(o *cloudformation.Options) { o.Logger = logger })
}
