package dataset

import (
	"strings"
	"testing"
)

func TestIDs(t *testing.T) {
	c, err := ParseCharacteristics("c.csv", []byte("ID,age,sex,height,weight\nb2,40,F,170,60\n007,8,1,130,25\n"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.IDs(), ","); got != "7,B2" {
		t.Errorf("IDs = %s, want 7,B2", got)
	}
}
