package delivery_test

import (
	"fmt"

	"github.com/wardenhq/warden/delivery"
)

// A .env template: placeholders are written unquoted and Warden quotes
// each value for the format.
func ExampleTemplate_Render() {
	t, err := delivery.ParseTemplate(delivery.FormatEnv, "SF_USERNAME={{username}}\nSF_PASSWORD={{password}}\n")
	if err != nil {
		fmt.Println(err)
		return
	}
	out, err := t.Render(map[string]string{delivery.FieldUsername: "billing@acme.example", delivery.FieldPassword: `it's$ecret`})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(string(out))
	// Output:
	// SF_USERNAME='billing@acme.example'
	// SF_PASSWORD="it's\$ecret"
}
