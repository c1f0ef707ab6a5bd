package fakeaws

import (
	"fmt"
	"net/netip"
	"strconv"
)

// normProtocol normalises a rule protocol the way EC2 stores it.
func normProtocol(p string) (string, bool) {
	switch p {
	case "-1", "all":
		return "-1", true
	case "tcp", "6":
		return "tcp", true
	case "udp", "17":
		return "udp", true
	case "icmp", "1":
		return "icmp", true
	case "icmpv6", "58":
		return "icmpv6", true
	}
	if n, err := strconv.Atoi(p); err == nil && n >= 0 && n <= 255 {
		return p, true
	}
	return "", false
}

// addConnection records a flow and computes its initial tracking. Callers hold mu.
func (s *Server) addConnection(st *ec2State, eni *eniState, c Connection) *Connection {
	if c.ID == "" {
		c.ID = fmt.Sprintf("conn-%d", s.next("conn"))
	}
	if c.Protocol == "" {
		c.Protocol = "tcp"
	}
	if _, err := netip.ParseAddr(c.Peer); err != nil {
		panic(fmt.Sprintf("fakeaws: connection %s: peer %q is not an IP address", c.ID, c.Peer))
	}
	c.Open = true
	c.Tracked = c.AutomaticallyTracked || c.Protocol == "icmp" || !untracked(st, eni.groups, &c)
	eni.conns = append(eni.conns, &c)
	return &c
}

// reevaluate applies a change of the rules of an interface to its open
// flows (see [Connection]). Callers hold mu.
func reevaluate(st *ec2State, eni *eniState) {
	for _, c := range eni.conns {
		if !c.Open {
			continue
		}
		if permitted(st, eni.groups, c) {
			c.Tracked = c.AutomaticallyTracked || c.Protocol == "icmp" || !untracked(st, eni.groups, c)
			continue
		}
		if c.Tracked {
			continue // a tracked flow survives the rule change
		}
		c.Open = false
	}
}

// reevaluateGroup re-evaluates every interface that uses a group. Callers hold mu.
func reevaluateGroup(st *ec2State, groupID string) {
	for _, eni := range st.enis.all() {
		for _, g := range eni.groups {
			if g == groupID {
				reevaluate(st, eni)
				break
			}
		}
	}
}

// rulesOf returns the ingress or egress rules of a set of groups.
func rulesOf(st *ec2State, groups []string, egress bool) []Rule {
	var out []Rule
	for _, id := range groups {
		if g, ok := st.groups.get(id); ok {
			if egress {
				out = append(out, g.egress...)
			} else {
				out = append(out, g.ingress...)
			}
		}
	}
	return out
}

// permitted reports whether the groups allow the flow in its initiating
// direction (responses of allowed flows are allowed by statefulness).
func permitted(st *ec2State, groups []string, c *Connection) bool {
	for _, r := range rulesOf(st, groups, !c.Inbound) {
		if ruleMatches(st, r, c.Protocol, c.Port, c.Peer) {
			return true
		}
	}
	return false
}

// untracked reports whether the flow is untracked under the groups: allowed
// from/to everywhere in its direction, with all response traffic allowed
// on all ports to/from everywhere in the other direction.
func untracked(st *ec2State, groups []string, c *Connection) bool {
	peer, err := netip.ParseAddr(c.Peer)
	if err != nil {
		return false
	}
	world := "0.0.0.0/0"
	if peer.Is6() && !peer.Is4In6() {
		world = "::/0"
	}
	fromWorld := false
	for _, r := range rulesOf(st, groups, !c.Inbound) {
		if worldRule(r, world) && protoCovers(r.Protocol, c.Protocol) && portCovers(r, c.Port) {
			fromWorld = true
			break
		}
	}
	if !fromWorld {
		return false
	}
	for _, r := range rulesOf(st, groups, c.Inbound) {
		if worldRule(r, world) && protoCovers(r.Protocol, c.Protocol) && (r.Protocol == "-1" || (r.FromPort <= 0 && r.ToPort >= 65535)) {
			return true
		}
	}
	return false
}

func worldRule(r Rule, world string) bool {
	return (world == "0.0.0.0/0" && r.CIDRv4 == world) || (world == "::/0" && r.CIDRv6 == world)
}

func protoCovers(rule, flow string) bool { return rule == "-1" || rule == flow }

func portCovers(r Rule, port int32) bool {
	if r.Protocol == "-1" || r.FromPort == -1 {
		return true
	}
	return port >= r.FromPort && port <= r.ToPort
}

// ruleMatches reports whether a rule permits a flow with a peer.
func ruleMatches(st *ec2State, r Rule, proto string, port int32, peer string) bool {
	if !protoCovers(r.Protocol, proto) {
		return false
	}
	if proto != "icmp" && proto != "icmpv6" && !portCovers(r, port) {
		return false
	}
	addr, err := netip.ParseAddr(peer)
	if err != nil {
		return false
	}
	switch {
	case r.CIDRv4 != "":
		p, err := netip.ParsePrefix(r.CIDRv4)
		return err == nil && p.Contains(addr.Unmap())
	case r.CIDRv6 != "":
		p, err := netip.ParsePrefix(r.CIDRv6)
		return err == nil && p.Contains(addr)
	case r.ReferencedGroupID != "":
		for _, eni := range st.enis.all() {
			if eni.privateIP != peer {
				continue
			}
			for _, g := range eni.groups {
				if g == r.ReferencedGroupID {
					return true
				}
			}
		}
	}
	return false // prefix lists have no modelled contents
}
