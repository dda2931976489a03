package salesforce_test

import "testing"

func TestSmoke(t *testing.T) {
	e := newEnv(t)
	s := e.admin()
	res, err := s.Query(testCtx(t), "SELECT Id, Username, IsActive FROM User ORDER BY Username", nil)
	if err != nil {
		t.Fatalf("%+v", err)
	}
	for _, r := range res.Records {
		t.Log(r.ID(), r.String("Username"), r.Bool("IsActive"), r.Type())
	}
	used, max, ok := s.APIUsage()
	t.Log(used, max, ok)
}
