package strictyaml

import "strings"

// Suggest returns the candidate closest to word if it is close enough to
// be a likely typo, else "": a case-insensitive match first, then the
// unique candidate within an edit distance of two and a third of word's
// length. Validators use it for "did you mean" hints.
func Suggest(word string, candidates []string) string {
	for _, c := range candidates {
		if strings.EqualFold(c, word) {
			return c
		}
	}
	if len(word) < 3 || len(word) > 64 {
		return ""
	}
	best, bestDist, unique := "", 3, false
	for _, c := range candidates {
		if len(c) > len(word)+2 || len(word) > len(c)+2 {
			continue // too far apart: the distance is at least the length difference
		}
		d := editDistance(strings.ToLower(word), strings.ToLower(c))
		switch {
		case d < bestDist:
			best, bestDist, unique = c, d, true
		case d == bestDist:
			unique = false
		}
	}
	if !unique || bestDist > len(word)/3 {
		return ""
	}
	return best
}

// editDistance is the optimal string alignment distance: insertions,
// deletions, substitutions and transpositions of adjacent letters.
func editDistance(a, b string) int {
	rows := make([][]int, len(a)+1)
	for i := range rows {
		rows[i] = make([]int, len(b)+1)
		rows[i][0] = i
	}
	for j := range rows[0] {
		rows[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d := min(rows[i-1][j]+1, rows[i][j-1]+1, rows[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d = min(d, rows[i-2][j-2]+1)
			}
			rows[i][j] = d
		}
	}
	return rows[len(a)][len(b)]
}
