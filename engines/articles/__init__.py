"""Articles: the shop's own news and stories, written in the back office and shown by the
article_list component and the article page. The first engine, and the pattern for the rest.

Offers other packages:
- `models`: `Article`, `ArticleStatus`
- `services`: `create_article`, `update_article`, `publish_article`, `unpublish_article`,
  `delete_article` (the only write path) and the reads `get_published`, `list_published`,
  `published_for_lists`
- the "articles" data stamp, bumped after every committed write, for caches to depend on"""
