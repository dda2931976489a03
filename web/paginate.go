package web

import (
	"net/http"
	"net/url"
	"strconv"
)

// perPage is how many rows a page of a long list shows.
const perPage = 50

// Pager describes one page of a long list: which rows it shows and the
// links to the pages before and after it, which keep the request's
// other query parameters (its filters).
type Pager struct {
	Page, Pages, Total, First, Last int
	Prev, Next                      string
}

// paginate returns the page of items the request's "page" parameter asks
// for (1 when absent or bad), perPage rows long.
func paginate[T any](r *http.Request, items []T) ([]T, Pager) {
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	pages := max(1, (len(items)+perPage-1)/perPage)
	page = min(max(page, 1), pages)
	lo, hi := (page-1)*perPage, min(page*perPage, len(items))
	p := Pager{Page: page, Pages: pages, Total: len(items), First: lo + 1, Last: hi}
	if len(items) == 0 {
		p.First = 0
	}
	link := func(n int) string {
		q := r.URL.Query()
		q.Set("page", strconv.Itoa(n))
		return (&url.URL{Path: r.URL.Path, RawQuery: q.Encode()}).String()
	}
	if page > 1 {
		p.Prev = link(page - 1)
	}
	if page < pages {
		p.Next = link(page + 1)
	}
	return items[lo:hi], p
}
