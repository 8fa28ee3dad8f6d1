from tests.conftest import soup


def test_sign_in_page_renders_for_a_signed_out_visitor(app):
    response = app.test_client().get("/sign-in")
    assert response.status_code == 200
    page = soup(response)
    assert page.h1.get_text(strip=True) == "Sign in"
    assert page.find("input", {"name": "csrf_token"})


def test_each_role_sees_its_own_home_page(client_for):
    expected = {
        "admin": "Manage users",
        "qa_coordinator": "Audit rounds",
        "auditor": "Your audits",
        "board_member": "Published reports",
    }
    for role, text in expected.items():
        page = soup(client_for(role).get("/home"))
        assert text in page.get_text(), role
