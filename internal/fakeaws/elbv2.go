package fakeaws

import (
	"fmt"
	"slices"
	"strconv"
)

// TargetGroup is an ELBv2 target group.
type TargetGroup struct {
	// Name is required; ARN is assigned.
	Name, ARN string
	// Protocol defaults to "HTTP", Port to 80, TargetType to "instance".
	Protocol   string
	Port       int32
	TargetType string
	// VPCID is the target group's VPC.
	VPCID string
	// LoadBalancerARNs are the load balancers routing to the group.
	LoadBalancerARNs []string
	// Targets are the registrations.
	Targets []Target
}

// Target is a registration in a target group.
type Target struct {
	// ID is the instance id (or IP address, or Lambda ARN).
	ID string
	// Port defaults to the group's port.
	Port int32
	// AvailabilityZone is optional.
	AvailabilityZone string
	// State is the health state: "healthy" (default), "unhealthy",
	// "initial", "draining" (after DeregisterTargets; the target stays
	// listed while connections drain)... DeregisterTargets for an id and
	// port that are not registered succeeds and changes nothing, as in AWS.
	State string
	// Reason and Description are the health reason code and text.
	Reason, Description string
}

type elbState struct {
	groups table[TargetGroup]
}

// ELBv2 is the Elastic Load Balancing v2 state of one account and region.
type ELBv2 struct {
	s               *Server
	account, region string
}

// ELBv2 returns the ELBv2 state of an account and region.
func (s *Server) ELBv2(account, region string) *ELBv2 {
	mustAccount(account)
	return &ELBv2{s: s, account: account, region: region}
}

// AddTargetGroup creates a target group with its registrations.
func (e *ELBv2) AddTargetGroup(tg TargetGroup) TargetGroup {
	e.s.mu.Lock()
	defer e.s.mu.Unlock()
	st := e.s.reg(e.account, e.region).elb
	if tg.Name == "" {
		panic("fakeaws: target group needs a Name")
	}
	tg.ARN = fmt.Sprintf("arn:aws:elasticloadbalancing:%s:%s:targetgroup/%s/%016x", e.region, e.account, tg.Name, 0xfa4e0000+e.s.next("tg"))
	if tg.Protocol == "" {
		tg.Protocol = "HTTP"
	}
	if tg.Port == 0 {
		tg.Port = 80
	}
	if tg.TargetType == "" {
		tg.TargetType = "instance"
	}
	tg.LoadBalancerARNs = slices.Clone(tg.LoadBalancerARNs)
	tg.Targets = slices.Clone(tg.Targets)
	for i := range tg.Targets {
		t := &tg.Targets[i]
		if t.Port == 0 {
			t.Port = tg.Port
		}
		if t.State == "" {
			t.State = "healthy"
		}
	}
	v := tg
	st.groups.put(tg.ARN, &v)
	return tgView(&v)
}

// TargetGroup returns the current state of a target group by ARN or name.
func (e *ELBv2) TargetGroup(arnOrName string) (TargetGroup, bool) {
	e.s.mu.Lock()
	defer e.s.mu.Unlock()
	for _, g := range e.s.reg(e.account, e.region).elb.groups.all() {
		if g.ARN == arnOrName || g.Name == arnOrName {
			return tgView(g), true
		}
	}
	return TargetGroup{}, false
}

// TargetGroups returns every target group, in creation order.
func (e *ELBv2) TargetGroups() []TargetGroup {
	e.s.mu.Lock()
	defer e.s.mu.Unlock()
	var out []TargetGroup
	for _, g := range e.s.reg(e.account, e.region).elb.groups.all() {
		out = append(out, tgView(g))
	}
	return out
}

func tgView(g *TargetGroup) TargetGroup {
	v := *g
	v.LoadBalancerARNs = slices.Clone(g.LoadBalancerARNs)
	v.Targets = slices.Clone(g.Targets)
	return v
}

// elbDeregisterFromAll drains every registration of an instance in the
// given target groups (Auto Scaling detach/standby). Callers hold mu.
func (s *Server) elbDeregisterFromAll(rs *regionState, arns []string, id string) {
	for _, arn := range arns {
		if g, ok := rs.elb.groups.get(arn); ok {
			for i := range g.Targets {
				if g.Targets[i].ID == id {
					drain(&g.Targets[i])
				}
			}
		}
	}
}

// elbRegisterToAll registers an instance in the given target groups
// (Auto Scaling exit standby). Callers hold mu.
func (s *Server) elbRegisterToAll(rs *regionState, arns []string, id string) {
	for _, arn := range arns {
		if g, ok := rs.elb.groups.get(arn); ok {
			register(g, Target{ID: id, Port: g.Port})
		}
	}
}

func drain(t *Target) {
	t.State, t.Reason, t.Description = "draining", "Target.DeregistrationInProgress", "Target deregistration is in progress"
}

func register(g *TargetGroup, t Target) {
	for i := range g.Targets {
		if g.Targets[i].ID == t.ID && g.Targets[i].Port == t.Port {
			g.Targets[i].State, g.Targets[i].Reason, g.Targets[i].Description = "initial", "Elb.RegistrationInProgress", "Target registration is in progress"
			return
		}
	}
	t.State, t.Reason, t.Description = "initial", "Elb.RegistrationInProgress", "Target registration is in progress"
	g.Targets = append(g.Targets, t)
}

// ---- wire ----

type xMatcher struct {
	HTTPCode string `xml:"HttpCode"`
}

type xTargetGroup struct {
	TargetGroupArn             string   `xml:"TargetGroupArn"`
	TargetGroupName            string   `xml:"TargetGroupName"`
	Protocol                   string   `xml:"Protocol"`
	Port                       int32    `xml:"Port"`
	VpcID                      string   `xml:"VpcId,omitempty"`
	HealthCheckProtocol        string   `xml:"HealthCheckProtocol"`
	HealthCheckPort            string   `xml:"HealthCheckPort"`
	HealthCheckEnabled         bool     `xml:"HealthCheckEnabled"`
	HealthCheckIntervalSeconds int32    `xml:"HealthCheckIntervalSeconds"`
	HealthCheckTimeoutSeconds  int32    `xml:"HealthCheckTimeoutSeconds"`
	HealthyThresholdCount      int32    `xml:"HealthyThresholdCount"`
	UnhealthyThresholdCount    int32    `xml:"UnhealthyThresholdCount"`
	HealthCheckPath            string   `xml:"HealthCheckPath"`
	Matcher                    xMatcher `xml:"Matcher"`
	LoadBalancerArns           []string `xml:"LoadBalancerArns>member"`
	TargetType                 string   `xml:"TargetType"`
	IPAddressType              string   `xml:"IpAddressType"`
}

type xDescribeTargetGroups struct {
	TargetGroups []xTargetGroup `xml:"TargetGroups>member"`
	NextMarker   string         `xml:"NextMarker,omitempty"`
}

type xTargetDescription struct {
	ID               string `xml:"Id"`
	Port             int32  `xml:"Port"`
	AvailabilityZone string `xml:"AvailabilityZone,omitempty"`
}

type xTargetHealth struct {
	State       string `xml:"State"`
	Reason      string `xml:"Reason,omitempty"`
	Description string `xml:"Description,omitempty"`
}

type xTargetHealthDescription struct {
	Target          xTargetDescription `xml:"Target"`
	HealthCheckPort string             `xml:"HealthCheckPort"`
	TargetHealth    xTargetHealth      `xml:"TargetHealth"`
}

type xDescribeTargetHealth struct {
	Descriptions []xTargetHealthDescription `xml:"TargetHealthDescriptions>member"`
}

// elbDispatch routes an ELBv2 action. Callers hold mu.
func (s *Server) elbDispatch(c *call) (any, *apiError) {
	st := s.reg(c.account, c.region).elb
	tgNotFound := errf(400, "TargetGroupNotFound", "One or more target groups not found")
	switch c.action {
	case "DescribeTargetGroups":
		arns := list(c.form, "TargetGroupArns.member")
		names := list(c.form, "Names.member")
		lb := c.param("LoadBalancerArn")
		if (len(arns) > 0 && len(names) > 0) || (lb != "" && (len(arns) > 0 || len(names) > 0)) {
			return nil, errf(400, "ValidationError", "Load balancer ARN, target group ARNs and target group names cannot be specified at the same time")
		}
		var sel []*TargetGroup
		for _, g := range st.groups.all() {
			switch {
			case len(arns) > 0 && !slices.Contains(arns, g.ARN),
				len(names) > 0 && !slices.Contains(names, g.Name),
				lb != "" && !slices.Contains(g.LoadBalancerARNs, lb):
				continue
			}
			sel = append(sel, g)
		}
		if (len(arns) > 0 && len(sel) != len(arns)) || (len(names) > 0 && len(sel) != len(names)) {
			return nil, tgNotFound
		}
		page, next, err := paginate(s, c, sel, pageSpec{tokenKey: "Marker", maxKey: "PageSize", min: 1, max: 400})
		if err != nil {
			return nil, err
		}
		out := &xDescribeTargetGroups{NextMarker: next}
		for _, g := range page {
			out.TargetGroups = append(out.TargetGroups, xTargetGroup{
				TargetGroupArn: g.ARN, TargetGroupName: g.Name, Protocol: g.Protocol, Port: g.Port, VpcID: g.VPCID,
				HealthCheckProtocol: g.Protocol, HealthCheckPort: "traffic-port", HealthCheckEnabled: true,
				HealthCheckIntervalSeconds: 30, HealthCheckTimeoutSeconds: 5, HealthyThresholdCount: 5,
				UnhealthyThresholdCount: 2, HealthCheckPath: "/", Matcher: xMatcher{HTTPCode: "200"},
				LoadBalancerArns: g.LoadBalancerARNs, TargetType: g.TargetType, IPAddressType: "ipv4",
			})
		}
		return out, nil
	case "DescribeTargetHealth", "DeregisterTargets", "RegisterTargets":
		arn, err := required(c, "TargetGroupArn")
		if err != nil {
			return nil, err
		}
		g, ok := st.groups.get(arn)
		if !ok {
			return nil, tgNotFound
		}
		var targets []Target
		for _, t := range subs(c.form, "Targets.member") {
			tc := &call{svc: c.svc, form: t}
			port, hasPort, err := int32Param(tc, "Port")
			if err != nil {
				return nil, err
			}
			if t.Get("Id") == "" {
				return nil, missingParam(c.svc, "Targets.member.N.Id")
			}
			targets = append(targets, Target{ID: t.Get("Id"), Port: port, AvailabilityZone: t.Get("AvailabilityZone")})
			if !hasPort {
				targets[len(targets)-1].Port = -1 // any port when describing; the group's port otherwise
			}
		}
		switch c.action {
		case "DescribeTargetHealth":
			return describeTargetHealth(g, targets), nil
		case "RegisterTargets":
			if len(targets) == 0 {
				return nil, missingParam(c.svc, "Targets")
			}
			for _, t := range targets {
				if t.Port < 0 {
					t.Port = g.Port
				}
				register(g, t)
			}
			return nil, nil
		default:
			if len(targets) == 0 {
				return nil, missingParam(c.svc, "Targets")
			}
			// AWS answers 200 and changes nothing for a target that is not
			// registered at that port: a target registered with a port
			// override must be deregistered with the port, and omitting it
			// means the group's port (a silent no-op otherwise).
			var hits []int
			for _, t := range targets {
				if t.Port < 0 {
					t.Port = g.Port
				}
				if i := slices.IndexFunc(g.Targets, func(r Target) bool { return r.ID == t.ID && r.Port == t.Port }); i >= 0 {
					hits = append(hits, i)
				}
			}
			for _, i := range hits {
				drain(&g.Targets[i])
			}
			return nil, nil
		}
	}
	return nil, unknownAction(c)
}

func describeTargetHealth(g *TargetGroup, want []Target) *xDescribeTargetHealth {
	out := &xDescribeTargetHealth{}
	add := func(t Target) {
		out.Descriptions = append(out.Descriptions, xTargetHealthDescription{
			Target:          xTargetDescription{ID: t.ID, Port: t.Port, AvailabilityZone: t.AvailabilityZone},
			HealthCheckPort: strconv.Itoa(int(t.Port)),
			TargetHealth:    xTargetHealth{State: t.State, Reason: t.Reason, Description: t.Description},
		})
	}
	if len(want) == 0 {
		for _, t := range g.Targets {
			add(t)
		}
		return out
	}
	for _, w := range want {
		found := false
		for _, t := range g.Targets {
			if t.ID == w.ID && (w.Port < 0 || t.Port == w.Port) {
				add(t)
				found = true
			}
		}
		if !found {
			port := w.Port
			if port < 0 {
				port = g.Port
			}
			add(Target{ID: w.ID, Port: port, State: "unused", Reason: "Target.NotRegistered", Description: "Target is not registered to the target group"})
		}
	}
	return out
}
