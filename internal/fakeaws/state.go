package fakeaws

// table is an insertion-ordered map of resources by id.
type table[T any] struct {
	order []string
	m     map[string]*T
}

func (t *table[T]) put(id string, v *T) {
	if t.m == nil {
		t.m = map[string]*T{}
	}
	if _, ok := t.m[id]; !ok {
		t.order = append(t.order, id)
	}
	t.m[id] = v
}

func (t *table[T]) get(id string) (*T, bool) {
	v, ok := t.m[id]
	return v, ok
}

func (t *table[T]) del(id string) {
	if _, ok := t.m[id]; !ok {
		return
	}
	delete(t.m, id)
	for i, o := range t.order {
		if o == id {
			t.order = append(t.order[:i:i], t.order[i+1:]...)
			break
		}
	}
}

// all returns the values in insertion order.
func (t *table[T]) all() []*T {
	out := make([]*T, 0, len(t.order))
	for _, id := range t.order {
		out = append(out, t.m[id])
	}
	return out
}

// account is the state of one AWS account.
type account struct {
	id      string
	iam     *iamState
	pab     *PublicAccessBlock // S3 Control account-level block
	regions map[string]*regionState
}

// regionState is the regional state of one account.
type regionState struct {
	ec2 *ec2State
	asg *asgState
	elb *elbState
	hub *hubState
}

// acct returns (creating) an account. Callers hold mu.
func (s *Server) acct(id string) *account {
	a, ok := s.accounts[id]
	if !ok {
		a = &account{id: id, iam: newIAMState(), regions: map[string]*regionState{}}
		s.accounts[id] = a
	}
	return a
}

// reg returns (creating) the regional state of an account. Callers hold mu.
func (s *Server) reg(accountID, region string) *regionState {
	a := s.acct(accountID)
	r, ok := a.regions[region]
	if !ok {
		r = &regionState{
			ec2: &ec2State{tags: map[string]map[string]string{}},
			asg: &asgState{},
			elb: &elbState{},
			hub: &hubState{},
		}
		a.regions[region] = r
	}
	return r
}
