package soql
import "testing"
func BenchmarkXCount(b *testing.B) { benchExecute(b, "SELECT COUNT() FROM User WHERE IsActive = true AND LastLoginDate > LAST_N_DAYS:30", 80) }
func BenchmarkXNoRel(b *testing.B) { benchExecute(b, "SELECT Id, Username, IsActive, LastLoginDate FROM User WHERE IsActive = true AND LastLoginDate > LAST_N_DAYS:30", 80) }
func BenchmarkXIdOnly(b *testing.B) { benchExecute(b, "SELECT Id FROM User WHERE IsActive = true AND LastLoginDate > LAST_N_DAYS:30", 80) }
