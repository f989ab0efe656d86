namespace Shop.Domain;

/// <summary>What the shop's services share.</summary>
public static class Order
{
    public static string Describe(int id) => $"order {id}\n";
}
