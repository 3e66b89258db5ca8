"""Articles: the shop's own news and stories, written in the back office and shown by the
article_list component and the article page. The first engine, and the pattern for the rest.

Offers other packages:
- `models`: `Article`, `ArticleStatus`
- `services`: `create_article`, `update_article`, `publish_article`, `unpublish_article`,
  `delete_article` (the only write path) and the reads `get_published`, `list_published`,
  `published_for_lists`
- the "articles" data stamp, bumped after every committed write, for caches to depend on"""

from flask_babel import lazy_gettext as _l

from core.engines import Engine, NavEntry, Permission, Picker

ENGINE = Engine(
    name="articles", feature=True, label=_l("Articles"), description="The shop's news and stories: the article list and page.",
    api=("engines.articles.api:bp",),
    back_office=("engines.articles.admin:bp",),
    components="engines.articles.components",
    permissions=(Permission("articles.manage", _l("Write and publish articles"), roles=("manager",)),),
    navigation=(NavEntry("articles_admin.index", _l("Articles"), icon="news", permission="articles.manage", order=30),),
    demo_data="engines.articles.demo:load",
    pickers=(Picker("article", "/api/v1/articles?limit=50", items="items", label="title"),),
)
