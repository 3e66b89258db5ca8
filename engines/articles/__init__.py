"""Articles: the shop's own news and stories, written in the back office and shown by the
article_list component and the article page. The first engine, and the pattern for the rest.

Offers: `Article`, `ArticleStatus`, and the services in `engines.articles.services`."""
