"""English and Simplified Chinese, chosen by ?lang=, a remembered cookie or Accept-Language."""

from __future__ import annotations


def test_chinese_by_accept_language(client, db_session):
    page = client.get("/console/login", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).get_data(as_text=True)
    assert "登录" in page and 'lang="zh-Hans"' in page


def test_english_by_default(client, db_session):
    page = client.get("/console/login").get_data(as_text=True)
    assert "Sign in" in page and 'lang="en"' in page


def test_the_choice_is_remembered(client, db_session):
    response = client.get("/lang/zh_Hans?next=/merchant/login")
    assert response.status_code == 302
    assert response.headers["Location"] == "/merchant/login"
    assert "商家后台" in client.get("/merchant/login").get_data(as_text=True)
    assert client.get("/lang/fr").status_code == 404
    assert client.get("/lang/en?next=//evil.example").headers["Location"] == "/"
