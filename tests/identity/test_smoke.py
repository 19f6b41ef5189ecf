async def test_login_and_list_users(client, tenant):
    response = await client.get("/v1/users", headers=tenant.headers)
    assert response.status_code == 200
    assert [u["email"] for u in response.json()["items"]] == [tenant.admin_email]
